/* Startup for the flightml MCU harness: vector table at the flash origin, a reset handler that
 * runs the core's init (fm_core_init: fault enables, FPU), copies .data, zeroes .bss and calls
 * main, and fault handlers that end the emulation with a distinct exit code (fm_exit_codes.h). */
#include <stdint.h>

#include "fm_exit_codes.h"
#include "fm_semihost.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void fm_core_init(void);
void Reset_Handler(void);

static void fault_exit(uint32_t code) { fm_semihost_exit(code); }
static void NMI_Handler(void) { fault_exit(FM_EXIT_NMI); }
static void HardFault_Handler(void) { fault_exit(FM_EXIT_HARDFAULT); }
static void MemManage_Handler(void) { fault_exit(FM_EXIT_MEMMANAGE); }
static void BusFault_Handler(void) { fault_exit(FM_EXIT_BUSFAULT); }
static void UsageFault_Handler(void) { fault_exit(FM_EXIT_USAGEFAULT); }
static void Default_Handler(void) { fault_exit(FM_EXIT_UNEXPECTED); }

typedef void (*fm_vector)(void);

__attribute__((section(".isr_vector"), used)) static const fm_vector vectors[16] = {
    (fm_vector)(uintptr_t)&_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    Default_Handler, /* SecureFault on ARMv8-M */
    0,
    0,
    0,
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMonitor */
    0,
    Default_Handler, /* PendSV */
    Default_Handler, /* SysTick */
};

void Reset_Handler(void) {
    fm_core_init();
    volatile uint32_t *src = &_sidata;
    volatile uint32_t *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;) *dst++ = 0u;
    fm_semihost_exit((uint32_t)main());
}
