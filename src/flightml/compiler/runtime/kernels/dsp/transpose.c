/* flightml DSP kernel set: transpose. No multiply-accumulates, so the DSP set compiles the portable
 * source itself (one implementation, bit-exact by construction). */
#include "../portable/transpose.c"
