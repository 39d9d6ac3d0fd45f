/* flightml DSP kernel set: max/average pooling and concatenation. These kernels do no
 * multiply-accumulates, so the DSP set compiles the portable source itself (one implementation,
 * bit-exact by construction); the set stays complete: every function of fm_kernels.h. */
#include "../portable/pool.c"
