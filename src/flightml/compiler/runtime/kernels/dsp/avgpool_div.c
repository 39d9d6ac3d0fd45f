/* flightml DSP kernel set: TFLite's average pool. No multiply-accumulates, so the DSP set compiles the
 * portable source itself (one implementation, bit-exact by construction). */
#include "../portable/avgpool_div.c"
