/* Counter probe for the instruction-count plugin: a hand-written Thumb-1 routine (runs unchanged on
 * ARMv6-M, v7-M and v8-M) with a known number of instructions per class, branches, taken branches
 * and flash data reads. fm_probe's entry and fm_probe_end are the plugin's markers 0 and 1; both
 * start a translation block, so the snapshots see every read made before them.
 *
 * Between the markers: push {r4,r5}; movs; 8 x (ldr flash; ldr RAM; adds; subs; bne); ldm flash
 * (2 words); pop {r4,r5}; b fm_probe_end = 45 instructions, 10 flash reads (8 ldr + 2 ldm words;
 * the RAM ldr and the stack pop are not flash), 9 branches of which 8 taken (7 bne + b). */
#include <stdint.h>

static const uint32_t fm_flash_words[10] = {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u};
static uint32_t fm_ram_word = 42u;

uint32_t fm_probe(const uint32_t *flash, const uint32_t *ram);

__asm__(
    "  .syntax unified\n"
    "  .text\n"
    "  .balign 4\n"
    "  .global fm_probe\n"
    "  .global fm_probe_end\n"
    "  .thumb_func\n"
    "fm_probe:\n"
    "  push {r4, r5}\n"
    "  movs r2, #8\n"
    "1:\n"
    "  ldr r3, [r0]\n"
    "  ldr r4, [r1]\n"
    "  adds r0, r0, #4\n"
    "  subs r2, r2, #1\n"
    "  bne 1b\n"
    "  ldmia r0!, {r3, r4}\n"
    "  pop {r4, r5}\n"
    "  b fm_probe_end\n"
    "  nop\n" /* skipped: a branch to its own fall-through is not seen as taken by the plugin */
    "  .thumb_func\n"
    "fm_probe_end:\n"
    "  movs r0, r3\n" /* 9: the first word the ldm read */
    "  bx lr\n");

int main(void);
int main(void) { return fm_probe(fm_flash_words, &fm_ram_word) == 9u ? 0 : 1; }
