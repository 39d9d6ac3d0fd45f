/* Arm semihosting calls (BKPT 0xAB on M-profile) used by the flightml MCU harness and startup. */
#ifndef FM_SEMIHOST_H
#define FM_SEMIHOST_H
#include <stdint.h>

#define FM_SH_OPEN 0x01
#define FM_SH_CLOSE 0x02
#define FM_SH_WRITE 0x05
#define FM_SH_READ 0x06
#define FM_SH_FLEN 0x0C
#define FM_SH_EXIT_EXTENDED 0x20
#define FM_SH_MODE_RB 1
#define FM_SH_MODE_WB 5

/* One semihosting call: `op` in r0, pointer to the parameter block in r1; returns r0. */
static inline int32_t fm_semihost(uint32_t op, const void *args) {
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = args;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

/* Ends the emulation with `code` as QEMU's exit status (SYS_EXIT_EXTENDED passes it through). */
static inline void fm_semihost_exit(uint32_t code) {
    uint32_t block[2] = {0x20026u, code};
    (void)fm_semihost(FM_SH_EXIT_EXTENDED, block);
    for (;;) {
    }
}
#endif
