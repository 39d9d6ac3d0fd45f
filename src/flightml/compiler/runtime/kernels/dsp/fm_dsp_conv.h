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

/* 1 when the pair path (conv_pair.c) handles convolution p: 3 taps along w, stride 1, no dilation. */
int fm_dsp_pair_ok(const fm_conv_params_t *p);

/* Convolution p through the pair path; pooled = 1 fuses a max pool of 1 x 2 windows with stride
 * 1 x 2 and no padding (output out_h x out_w / 2), pooled = 0 is the plain convolution. */
void fm_dsp_conv_pairs(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                       const int8_t *weights, const int32_t *bias, int pooled, int8_t *output);

#endif /* FM_DSP_CONV_H */
