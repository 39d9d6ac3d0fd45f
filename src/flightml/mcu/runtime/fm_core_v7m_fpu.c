/* Core init for hard-float ARMv7E-M/ARMv8-M: fault handlers as fm_core_v7m.c, then full access to
 * CP10/CP11 in CPACR (hard-float code faults without it). */
#include <stdint.h>

#define FM_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define FM_CPACR (*(volatile uint32_t *)0xE000ED88u)

void fm_core_init(void);
void fm_core_init(void) {
    FM_SHCSR |= (7u << 16);
    FM_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}
