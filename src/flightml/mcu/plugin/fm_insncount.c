/*
 * flightml QEMU TCG plugin: exact, deterministic instruction counts by timing class.
 *
 * Debian's QEMU 7.2 exports the plugin API (version 1) but ships no header, so the few entry
 * points used here are declared below. Each translated block gets a record with its instruction
 * count per class (decoded from the Thumb/Thumb-2 encoding at translation time); an exec callback
 * adds the record to global counters. Marker addresses (plugin args m=0xADDR, in order) snapshot
 * the counters to the output file (arg out=PATH) as "S <marker index> <counter...>" lines.
 * A block ending in a control transfer is "taken" when the next executed block does not start
 * at its fall-through address; that is counted dynamically (counter TAKEN). Data reads (every
 * load, LDM/POP word, literal-pool, TBB/TBH and VLDR access) in the flash range (arg flash=START:END) are
 * counted too (FLASH_READS), for flash wait states.
 *
 * QEMU 7.2 quirk (measured): a memory callback registered with QEMU_PLUGIN_MEM_R alone fires for
 * the stores and never for the loads, so the callback is registered for reads and writes and the
 * stores are dropped with qemu_plugin_mem_is_store. Registering R alone made FLASH_READS always 0.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the QEMU plugin API (v1) subset this plugin uses ---- */
typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                                          void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* ---- counters: primary classes sum to INSN; LSM_REGS, TAKEN and FLASH_READS are extra. The order is
 * declared once, in flightml/mcu/qemu.py (COUNTERS), and given to the build as FM_COUNTERS. ---- */
#ifndef FM_COUNTERS
#error "build with -DFM_COUNTERS=... (flightml.mcu.qemu.plugin_path)"
#endif
enum { FM_COUNTERS, NCLS };
#define MAX_MARKERS 256
#define MAX_INSNS 512

typedef struct {
    uint64_t start, fallthrough;
    bool ends_in_transfer;
    uint32_t n;
    uint64_t total[NCLS];
    /* slow path only (block holds a marker): per-instruction class, regs and address */
    uint8_t *cls, *regs;
    uint64_t *addr;
} tb_info;

static uint64_t counters[NCLS];
static uint64_t flash_lo, flash_hi; /* data reads in [flash_lo, flash_hi) count as FLASH_READS */
static uint64_t markers[MAX_MARKERS];
static int n_markers;
static FILE *out;
static const tb_info *prev_tb;

static int marker_index(uint64_t addr) {
    for (int i = 0; i < n_markers; i++)
        if (markers[i] == addr) return i;
    return -1;
}

static int popcount16(uint32_t v) { return __builtin_popcount(v & 0xFFFFu); }

/* Decode one Thumb instruction: returns its primary class, sets *regs (LDM/STM transfers) and
 * *pc_write (the instruction may transfer control). */
static int classify(const uint8_t *b, size_t size, int *regs, bool *pc_write) {
    uint32_t h1 = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
    *regs = 0;
    *pc_write = false;
    if (size == 2) {
        if ((h1 & 0xFFC0) == 0x4340) return MUL;
        if ((h1 & 0xFF00) == 0x4700) { *pc_write = true; return (h1 & 0x80) ? CALL : BRANCH; }
        if ((h1 & 0xFC87) == 0x4487) { *pc_write = true; return BRANCH; } /* add/mov pc, rm */
        if ((h1 & 0xF800) == 0x4800) return LOAD;
        if ((h1 & 0xF000) == 0x5000) return ((h1 >> 9) & 7) < 3 ? STORE : LOAD;
        if ((h1 & 0xE000) == 0x6000 || (h1 & 0xF000) == 0x8000 || (h1 & 0xF000) == 0x9000)
            return (h1 & 0x0800) ? LOAD : STORE;
        if ((h1 & 0xF600) == 0xB400) {
            *regs = popcount16(h1 & 0x1FF);
            *pc_write = (h1 & 0x0900) == 0x0900; /* pop {..., pc} */
            return LSM;
        }
        if ((h1 & 0xF500) == 0xB100) { *pc_write = true; return BRANCH; } /* cbz/cbnz */
        if ((h1 & 0xF000) == 0xC000) { *regs = popcount16(h1 & 0xFF); return LSM; }
        if ((h1 & 0xF000) == 0xD000 && (h1 & 0x0E00) != 0x0E00) { *pc_write = true; return BRANCH; }
        if ((h1 & 0xF800) == 0xE000) { *pc_write = true; return BRANCH; }
        return ALU;
    }
    uint32_t h2 = (uint32_t)b[2] | ((uint32_t)b[3] << 8);
    uint32_t op1 = (h1 >> 11) & 3;
    if (op1 == 1) {
        if ((h1 & 0xFE40) == 0xE800) { /* ldm/stm */
            *regs = popcount16(h2);
            *pc_write = (h1 & 0x0010) && (h2 & 0x8000);
            return LSM;
        }
        if ((h1 & 0xFFF0) == 0xE8D0 && (h2 & 0xFFE0) == 0xF000) { *pc_write = true; return BRANCH; } /* tbb/tbh */
        if ((h1 & 0xFE40) == 0xE840) {
            if (h1 & 0x0120) { *regs = 2; return LSM; } /* ldrd/strd */
            return (h1 & 0x0010) ? LOAD : STORE;                            /* ldrex/strex */
        }
        if ((h1 & 0xEC00) == 0xEC00) return FP;
        return ALU;
    }
    if (op1 == 2) {
        if (h2 & 0x8000) {
            if (h2 & 0x4000) { *pc_write = true; return CALL; }               /* bl/blx */
            if (h2 & 0x1000) { *pc_write = true; return BRANCH; }             /* b.w */
            if ((h1 & 0x0380) != 0x0380) { *pc_write = true; return BRANCH; } /* b<c>.w */
        }
        return ALU;
    }
    /* op1 == 3 */
    if ((h1 & 0xFE00) == 0xF800) {
        if (!(h1 & 0x0010)) return STORE;
        if (((h2 >> 12) & 0xF) == 0xF) {
            if ((h1 & 0x0060) == 0x0040) { *pc_write = true; return LOAD; } /* ldr pc */
            return ALU;                                                   /* preload hints */
        }
        return LOAD;
    }
    if ((h1 & 0xFF80) == 0xFB00) return (((h2 >> 12) & 0xF) == 0xF) ? MUL : MAC;
    if ((h1 & 0xFF80) == 0xFB80) {
        uint32_t op = (h1 >> 4) & 7;
        return (op == 1 || op == 3) ? DIV : LMUL;
    }
    if ((h1 & 0xEC00) == 0xEC00) return FP;
    return ALU;
}

static void snapshot(int marker) {
    fprintf(out, "S %d", marker);
    for (int c = 0; c < NCLS; c++) fprintf(out, " %llu", (unsigned long long)counters[c]);
    fputc('\n', out);
}

static void tb_exec(unsigned int vcpu, void *udata) {
    (void)vcpu;
    const tb_info *tb = udata;
    if (prev_tb && prev_tb->ends_in_transfer && tb->start != prev_tb->fallthrough) counters[TAKEN]++;
    prev_tb = tb;
    if (!tb->cls) {
        for (int c = 0; c < NCLS; c++) counters[c] += tb->total[c];
        return;
    }
    for (uint32_t i = 0; i < tb->n; i++) {
        int m = marker_index(tb->addr[i]);
        if (m >= 0) {
            snapshot(m);
            if (m == 1) fflush(out);
        }
        counters[INSN]++;
        counters[tb->cls[i]]++;
        counters[LSM_REGS] += tb->regs[i];
    }
}

static void mem_read(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata) {
    (void)vcpu;
    (void)udata;
    if (!qemu_plugin_mem_is_store(info) && vaddr >= flash_lo && vaddr < flash_hi) counters[FLASH_READS]++;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (n == 0 || n > MAX_INSNS) return;
    tb_info *info = calloc(1, sizeof *info);
    uint8_t cls[MAX_INSNS], regs[MAX_INSNS];
    uint64_t addr[MAX_INSNS];
    bool has_marker = false, prev_mem = false, pc_write = false;
    info->n = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        size_t size = qemu_plugin_insn_size(insn);
        int r;
        int c = classify(qemu_plugin_insn_data(insn), size, &r, &pc_write);
        bool mem = (c == LOAD || c == STORE);
        if (mem && prev_mem) c = (c == LOAD) ? LOAD_P : STORE_P;
        prev_mem = mem;
        addr[i] = qemu_plugin_insn_vaddr(insn);
        /* every instruction: the callback fires only on a memory access (TBB/TBH read tables too) */
        qemu_plugin_register_vcpu_mem_cb(insn, mem_read, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
        cls[i] = (uint8_t)c;
        regs[i] = (uint8_t)r;
        info->total[INSN]++;
        info->total[c]++;
        info->total[LSM_REGS] += (uint64_t)r;
        if (marker_index(addr[i]) >= 0) has_marker = true;
        if (i == 0) info->start = addr[i];
        if (i == n - 1) info->fallthrough = addr[i] + size;
    }
    info->ends_in_transfer = pc_write;
    if (has_marker) {
        info->cls = malloc(n);
        info->regs = malloc(n);
        info->addr = malloc(n * sizeof *info->addr);
        memcpy(info->cls, cls, n);
        memcpy(info->regs, regs, n);
        memcpy(info->addr, addr, n * sizeof *addr);
    }
    qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, info);
}

static void at_exit(qemu_plugin_id_t id, void *udata) {
    (void)id;
    (void)udata;
    if (out) fflush(out);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                                int argc, char **argv) {
    (void)info;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) path = argv[i] + 4;
        else if (strncmp(argv[i], "flash=", 6) == 0) {
            char *rest;
            flash_lo = strtoull(argv[i] + 6, &rest, 0);
            flash_hi = (*rest == ':') ? strtoull(rest + 1, NULL, 0) : flash_lo;
        } else if (strncmp(argv[i], "m=", 2) == 0 && n_markers < MAX_MARKERS)
            markers[n_markers++] = strtoull(argv[i] + 2, NULL, 0) & ~1ull;
        else {
            fprintf(stderr, "fm_insncount: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    if (!path || n_markers < 2) {
        fprintf(stderr, "fm_insncount: needs out=PATH and at least two m=ADDR markers\n");
        return -1;
    }
    out = fopen(path, "w");
    if (!out) return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
