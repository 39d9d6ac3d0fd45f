/* flightml DSP kernel set: transpose. A copy without arithmetic, so the DSP set compiles the portable
 * source itself (one implementation, bit-exact by construction). */
#include "../portable/transpose.c"
