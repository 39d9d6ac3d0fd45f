/* Core init for ARMv6-M code run by an ARMv7-M core (cortex-m0-mps2): trap unaligned word and halfword
 * accesses (CCR.UNALIGN_TRP), which ARMv6-M always faults on, and route UsageFault, BusFault and
 * MemManage to their own handlers (SHCSR) so such a fault reports its own exit code. */
#include <stdint.h>

#define FM_CCR (*(volatile uint32_t *)0xE000ED14u)
#define FM_SHCSR (*(volatile uint32_t *)0xE000ED24u)

void fm_core_init(void);
void fm_core_init(void) {
    FM_CCR |= (1u << 3);
    FM_SHCSR |= (7u << 16);
}
