/* flightml MCU harness: the role of the host harness on an emulated core. Reads N samples of
 * FM_INPUT_SIZE int8 from input.bin (semihosting, QEMU's working directory), runs FM_INVOKE on each
 * between the bench_start/bench_end markers (the instruction-count plugin snapshots at their entry
 * addresses) and writes FM_OUTPUT_SIZE int8 per sample to output.bin. Exit codes: fm_exit_codes.h
 * (written by the build from flightml.mcu.exit_codes).
 * fm_mcu_model.h (generated per build) maps FM_INVOKE/FM_INPUT_SIZE/FM_OUTPUT_SIZE to the model. */
#include <stdint.h>

#include "fm_exit_codes.h"
#include "fm_mcu_model.h"
#include "fm_semihost.h"

static int8_t in_buf[FM_INPUT_SIZE];
static int8_t out_buf[FM_OUTPUT_SIZE];
volatile uint32_t fm_bench_marks;

int main(void);
void bench_start(void);
void bench_end(void);

__attribute__((noinline, noipa)) void bench_start(void) { fm_bench_marks += 1u; }
__attribute__((noinline, noipa)) void bench_end(void) { fm_bench_marks += 2u; }

static int32_t open_file(const char *name, uint32_t mode) {
    uint32_t len = 0;
    while (name[len]) len++;
    uint32_t block[3] = {(uint32_t)(uintptr_t)name, mode, len};
    return fm_semihost(FM_SH_OPEN, block);
}

static int32_t transfer(uint32_t op, int32_t fd, void *buf, uint32_t len) {
    uint32_t block[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, len};
    return fm_semihost(op, block); /* bytes NOT transferred */
}

int main(void) {
    int32_t in = open_file("input.bin", FM_SH_MODE_RB);
    int32_t out = open_file("output.bin", FM_SH_MODE_WB);
    if (in < 0 || out < 0) return FM_EXIT_IO;
    uint32_t fd_in = (uint32_t)in;
    int32_t length = fm_semihost(FM_SH_FLEN, &fd_in);
    if (length < 0 || (uint32_t)length % FM_INPUT_SIZE != 0u) return FM_EXIT_IO;
    uint32_t samples = (uint32_t)length / FM_INPUT_SIZE;
    for (uint32_t i = 0; i < samples; i++) {
        if (transfer(FM_SH_READ, in, in_buf, FM_INPUT_SIZE) != 0) return FM_EXIT_IO;
        bench_start();
        fm_status_t rc = FM_INVOKE(in_buf, out_buf);
        bench_end();
        if (rc != FM_OK) return FM_EXIT_INVOKE;
        if (transfer(FM_SH_WRITE, out, out_buf, FM_OUTPUT_SIZE) != 0) return FM_EXIT_IO;
    }
    (void)fm_semihost(FM_SH_CLOSE, &fd_in);
    uint32_t fd_out = (uint32_t)out;
    (void)fm_semihost(FM_SH_CLOSE, &fd_out);
    return FM_EXIT_OK;
}
