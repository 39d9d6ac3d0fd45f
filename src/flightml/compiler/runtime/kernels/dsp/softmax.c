/* flightml DSP kernel set: softmax. No multiply-accumulates to speed up, so the DSP set compiles the
 * portable source itself (one implementation, bit-exact by construction). */
#include "../portable/softmax.c"
