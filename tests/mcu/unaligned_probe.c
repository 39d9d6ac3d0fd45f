/* Unaligned-access probe: one 32-bit load (ldr) from an address that is not a multiple of 4. ARMv6-M
 * always faults (HardFault); ARMv7-M does the load unless CCR.UNALIGN_TRP is set (then UsageFault).
 * Exit code 0 when the load completes with the little-endian value. */
#include <stdint.h>

static uint32_t fm_words[2] = {0x04030201u, 0x08070605u};
static volatile uint32_t fm_skew = 1u; /* read at run time: the compiler cannot see the misalignment */

int main(void);
int main(void) {
    const uint32_t *p = (const uint32_t *)(void *)((uint8_t *)fm_words + fm_skew);
    uint32_t v;
    __asm__ volatile("ldr %0, [%1]" : "=l"(v) : "l"(p) : "memory");
    return v == 0x05040302u ? 0 : 1;
}
