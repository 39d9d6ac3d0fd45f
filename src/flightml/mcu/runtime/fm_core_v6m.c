/* Core init for ARMv6-M (Cortex-M0/M0+): nothing to enable. */
void fm_core_init(void);
void fm_core_init(void) {}
