/* flightml DSP kernel set: elementwise add. No multiply-accumulates, so the DSP set compiles the
 * portable source itself (one implementation, bit-exact by construction); the set stays complete. */
#include "../portable/add.c"
