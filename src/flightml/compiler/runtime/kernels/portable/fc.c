/* flightml portable kernels: fully connected (Gemm, MatMul). Hand-written, C99.
 * Operands x + io and w + wo are int16 (|.| <= 255); partial sums are bounded by the compiler-checked
 * bound of the full sum (< 2^31). The inner loop is a fixed FM_VEC-long int16 dot product, which
 * compilers vectorize at -O2 (e.g. pmaddwd on baseline x86-64). */
#include "fm_kernels.h"

#define FM_VEC 32

/* Four output features at a time: the input chunk x + io is widened to int16 once (into xo, FM_VEC
 * values) and shared. */
static void fm_fc_row4(const int8_t *x, const int8_t *w, int32_t k, int32_t nb, int32_t io, int32_t wo,
                       int16_t *xo, int32_t *acc) {
    int32_t i = 0;
    int32_t j, q;
    for (q = 0; q < 4; ++q) acc[q] = 0;
    for (; i + FM_VEC <= k; i += FM_VEC) {
        for (j = 0; j < FM_VEC; ++j) xo[j] = (int16_t)(x[i + j] + io);
        for (q = 0; q < nb; ++q) {
            const int8_t *wq = w + q * k + i;
            int32_t s = 0;
            for (j = 0; j < FM_VEC; ++j) s += (int32_t)xo[j] * (int32_t)(int16_t)(wq[j] + wo);
            acc[q] += s;
        }
    }
    for (; i < k; ++i) {
        for (q = 0; q < nb; ++q) acc[q] += (x[i] + io) * (w[q * k + i] + wo);
    }
}

fm_status_t fm_fc_s8(const fm_fc_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
             const int32_t *bias, void *scratch, int8_t *output) {
    int32_t *acc = (int32_t *)scratch; /* acc[4], then xo[FM_VEC] (int16) */
    int32_t r, n;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) return FM_ERR_NULL;
    if (p->rows < 1 || p->in_features < 1 || p->out_features < 1) return FM_ERR_PARAM;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = input + r * p->in_features;
        for (n = 0; n < p->out_features; n += 4) {
            const int32_t nb = p->out_features - n < 4 ? p->out_features - n : 4;
            fm_fc_row4(x, weights + n * p->in_features, p->in_features, nb, p->in_offset, p->w_offset,
                       (int16_t *)(acc + 4), acc);
            fm_requant_n(acc, bias, nb, rq, n, 1, output);
            output += nb;
        }
    }
    return FM_OK;
}

/* The DSP set's entries for small per-tensor layers (kernels/dsp/fc_small.c): here fm_fc_s8. */
fm_status_t fm_fc_pair_s8(const fm_fc_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
                          const int32_t *bias, void *scratch, int8_t *output) {
    return fm_fc_s8(p, rq, input, weights, bias, scratch, output);
}

fm_status_t fm_fc_in8_s8(const fm_fc_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
                         const int32_t *bias, void *scratch, int8_t *output) {
    return fm_fc_s8(p, rq, input, weights, bias, scratch, output);
}
