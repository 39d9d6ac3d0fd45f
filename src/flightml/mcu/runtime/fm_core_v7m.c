/* Core init for ARMv7-M/ARMv8-M mainline without FPU: route MemManage, BusFault and UsageFault to
 * their own handlers (SHCSR) so a fault reports its own exit code. */
#include <stdint.h>

#define FM_SHCSR (*(volatile uint32_t *)0xE000ED24u)

void fm_core_init(void);
void fm_core_init(void) { FM_SHCSR |= (7u << 16); }
