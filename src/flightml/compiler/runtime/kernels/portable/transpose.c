/* flightml portable kernels: transpose (a strided copy). Hand-written, C99. */
#include "fm_kernels.h"

fm_status_t fm_transpose_s8(const fm_transpose_params_t *p, const int8_t *input, int8_t *output) {
    int32_t a, b, c, d;
    if (p == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->s0 < 0 || p->s1 < 0 || p->s2 < 0 || p->s3 < 0) return FM_ERR_PARAM;
    for (a = 0; a < p->d0; ++a) {
        for (b = 0; b < p->d1; ++b) {
            for (c = 0; c < p->d2; ++c) {
                const int8_t *src = input + a * p->s0 + b * p->s1 + c * p->s2;
                for (d = 0; d < p->d3; ++d) *output++ = src[d * p->s3];
            }
        }
    }
    return FM_OK;
}
