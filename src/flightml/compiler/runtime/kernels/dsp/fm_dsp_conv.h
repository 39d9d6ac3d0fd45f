/* flightml DSP convolution internals shared by conv.c (entry points, scalar path) and
 * conv_pair.c (SMLAD path). Hand-written, C99 + ACLE. */
#ifndef FM_DSP_CONV_H
#define FM_DSP_CONV_H

#include "fm_dsp.h"

/* First and one-past-last tap k in [0, k) with 0 <= base + k * dil < size. */
static inline void fm_taps(int32_t base, int32_t dil, int32_t size, int32_t k, int32_t *lo, int32_t *hi) {
    int32_t a = 0;
    int32_t b = k;
    while (a < k && base + a * dil < 0) ++a;
    while (b > a && base + (b - 1) * dil >= size) --b;
    *lo = a;
    *hi = b;
}

/* Requantization constants of one output channel for the matrix-multiply and depthwise paths (the pair
 * path has its own, smaller), loaded once per block of outputs: `fast` is FM_DSP_FIXED when the
 * int8 rule of fm_dsp.h applies, FM_DSP_TFLM when its double-rounding rule does (fm_dsp_rqt), and bias +
 * sum cannot saturate (|sum of products| <= len * 255^2; for FM_DSP_TFLM |bias + sum| < 2^30), then the
 * accumulators start at `init` (the bias: equal to the saturating addition after the sum in that range);
 * otherwise fast is 0, init is 0 and fm_dsp_chq_out adds the bias with saturation. */
#define FM_DSP_FIXED 1
#define FM_DSP_TFLM 2
typedef struct {
    int32_t init, mult, add, rshift, fast;
} fm_dsp_chq_t;

/* The constants of channel c for sums of `len` products; returns q->fast (conv_mm.c). */
int32_t fm_dsp_chq_load(const fm_requant_t *rq, const int32_t *bias, int32_t c, int32_t len, fm_dsp_chq_t *q);

/* The inline rule `fast` (FM_DSP_FIXED or FM_DSP_TFLM; a constant in the loops that call it). */
static inline __attribute__((always_inline)) int8_t fm_dsp_rqk(int32_t acc, int32_t fast, int32_t mult, int32_t add,
                                                               int32_t rshift) {
    return fast == FM_DSP_TFLM ? fm_dsp_rqt(acc, mult, add, rshift) : fm_dsp_rq8(acc, mult, add, rshift);
}

/* The output of channel c from its accumulator (started at q->init). */
static inline int8_t fm_dsp_chq_out(int32_t acc, const fm_dsp_chq_t *q, const fm_requant_t *rq, const int32_t *bias,
                                    int32_t c) {
    if (q->fast == FM_DSP_FIXED) return fm_dsp_rq8(acc, q->mult, q->add, q->rshift);
    if (q->fast == FM_DSP_TFLM) return fm_dsp_rqt(acc, q->mult, q->add, q->rshift);
    return (int8_t)fm_requant(bias != 0 ? __qadd(acc, bias[c]) : acc, rq, c);
}

/* 1 when the pair path (conv_pair.c) handles convolution p: 3 taps along w, stride 1, no dilation. */
int fm_dsp_pair_ok(const fm_conv_params_t *p);

/* 1 when the pair path also fuses `pool`: 1 x 2 windows, stride 1 x 2, no padding, over all of p's output. */
int fm_dsp_pool_pair_ok(const fm_conv_params_t *p, const fm_pool_params_t *pool);

#endif /* FM_DSP_CONV_H */
