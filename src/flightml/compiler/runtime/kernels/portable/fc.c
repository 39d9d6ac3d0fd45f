/* flightml portable kernels: fully connected (Gemm, MatMul). Hand-written, C99. */
#include "fm_kernels.h"

int fm_fc_s8(const fm_fc_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
             const int32_t *bias, int8_t *output) {
    int32_t r, n, k;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || output == 0) return FM_ERR_NULL;
    if (p->rows < 1 || p->in_features < 1 || p->out_features < 1) return FM_ERR_PARAM;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = input + r * p->in_features;
        for (n = 0; n < p->out_features; ++n) {
            const int8_t *w = weights + n * p->in_features;
            int32_t acc = 0;
            for (k = 0; k < p->in_features; ++k) {
                acc += ((int32_t)x[k] + p->in_offset) * ((int32_t)w[k] + p->w_offset);
            }
            if (bias != 0) acc = fm_sat_add32(acc, bias[n]);
            *output++ = (int8_t)fm_requant(acc, rq, n);
        }
    }
    return FM_OK;
}
