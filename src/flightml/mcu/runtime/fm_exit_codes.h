/* Exit codes of the flightml MCU harness (QEMU returns them via SYS_EXIT_EXTENDED).
 * Single source: flightml.mcu.qemu parses the FM_EXIT_* lines of this header. */
#ifndef FM_EXIT_CODES_H
#define FM_EXIT_CODES_H
#define FM_EXIT_OK 0          /* all samples ran */
#define FM_EXIT_IO 3          /* semihosting file open/read/write failed or bad input length */
#define FM_EXIT_INVOKE 4      /* the model's invoke function returned a non-zero status */
#define FM_EXIT_HARDFAULT 10  /* HardFault */
#define FM_EXIT_MEMMANAGE 11  /* MemManage fault */
#define FM_EXIT_BUSFAULT 12   /* BusFault */
#define FM_EXIT_USAGEFAULT 13 /* UsageFault (undefined instruction, unaligned access, divide by 0) */
#define FM_EXIT_NMI 14        /* NMI */
#define FM_EXIT_UNEXPECTED 15 /* an unexpected interrupt or exception */
#endif
