/* flightml DSP kernels: convolution and convolution + max pooling with SMLAD. Hand-written,
 * C99 + ACLE. Same contract and results as kernels/portable/conv.c.
 * Convolutions with 3 taps along w, stride 1 and no dilation there (the SpectrumNet family's
 * Conv1d), plain or fused with a 1 x 2 max pool, take the SMLAD path of conv_pair.c; every other
 * shape takes the scalar path below (the portable algorithm, kept small: flash matters on these
 * parts). The compiler calls fm_conv_dw_s8 (conv_dw.c) and fm_conv_mm_s8 (conv_mm.c) for the shapes
 * their fast paths handle, so a model links only the paths it uses. */
#include "fm_dsp_conv.h"

/* Optimized for size: on the pair path only the dispatch below runs (once per layer), and the scalar path
 * is the rare fallback (224 B less flash than at -O2 on cortex-m4). */
#pragma GCC optimize("Os")

/* Sum of products of one output position (scalar path). */
static int32_t fm_conv_point(const fm_conv_params_t *p, const int8_t *input, const int8_t *weights, int32_t oc,
                             int32_t oh, int32_t ow) {
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t c0 = (oc / (p->out_c / p->groups)) * cin_g;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    const int8_t *w = weights + oc * cin_g * p->k_h * p->k_w;
    int32_t kh_lo, kh_hi, kw_lo, kw_hi, ic, kh, kw;
    int32_t acc = 0;
    fm_taps(ih0, p->dil_h, p->in_h, p->k_h, &kh_lo, &kh_hi);
    fm_taps(iw0, p->dil_w, p->in_w, p->k_w, &kw_lo, &kw_hi);
    for (ic = 0; ic < cin_g; ++ic) {
        const int8_t *x_c = input + (c0 + ic) * p->in_h * p->in_w;
        for (kh = kh_lo; kh < kh_hi; ++kh) {
            const int8_t *x_row = x_c + (ih0 + kh * p->dil_h) * p->in_w + iw0;
            const int8_t *w_row = w + (ic * p->k_h + kh) * p->k_w;
            for (kw = kw_lo; kw < kw_hi; ++kw) {
                acc += ((int32_t)x_row[kw * p->dil_w] + p->in_offset) * ((int32_t)w_row[kw] + p->w_offset);
            }
        }
    }
    return acc;
}

/* One requantized output (scalar path). Not inlined: one copy for both entry points (flash). */
static __attribute__((noinline)) int32_t fm_conv_out(const fm_conv_params_t *p, const fm_requant_t *rq,
                                                     const int8_t *input, const int8_t *weights, const int32_t *bias,
                                                     int32_t oc, int32_t oh, int32_t ow) {
    const int32_t acc = fm_conv_point(p, input, weights, oc, oh, ow);
    return fm_requant(bias != 0 ? __qadd(acc, bias[oc]) : acc, rq, oc);
}

static fm_status_t fm_conv_check(const fm_conv_params_t *p) {
    if (p->groups < 1 || p->in_c % p->groups != 0 || p->out_c % p->groups != 0) return FM_ERR_PARAM;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    return FM_OK;
}

fm_status_t fm_conv_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
               const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output) {
    int32_t oc, oh, ow;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) return FM_ERR_NULL;
    if (fm_conv_check(p) != FM_OK) return FM_ERR_PARAM;
    if (fm_dsp_pair_ok(p)) {
        return fm_conv_pair_s8(p, rq, input, weights, bias, scratch, output);
    }
    for (oc = 0; oc < p->out_c; ++oc) {
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) *output++ = (int8_t)fm_conv_out(p, rq, input, weights, bias, oc, oh, ow);
        }
    }
    return FM_OK;
}

fm_status_t fm_conv_maxpool_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                       const int8_t *input, const int8_t *weights, const int32_t *bias, void *scratch,
                       int8_t *output) {
    int32_t oc, ph, pw, kh, kw, kh_lo, kh_hi, kw_lo, kw_hi;
    if (p == 0 || pool == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) {
        return FM_ERR_NULL;
    }
    if (fm_conv_check(p) != FM_OK || pool->in_h != p->out_h || pool->in_w != p->out_w) return FM_ERR_PARAM;
    if (fm_dsp_pool_pair_ok(p, pool)) {
        return fm_conv_maxpool_pair_s8(p, pool, rq, input, weights, bias, scratch, output);
    }
    for (oc = 0; oc < p->out_c; ++oc) {
        for (ph = 0; ph < pool->out_h; ++ph) {
            const int32_t h0 = ph * pool->stride_h - pool->pad_top;
            fm_taps(h0, pool->dil_h, pool->in_h, pool->k_h, &kh_lo, &kh_hi);
            for (pw = 0; pw < pool->out_w; ++pw) {
                const int32_t w0 = pw * pool->stride_w - pool->pad_left;
                int32_t best = -128;
                fm_taps(w0, pool->dil_w, pool->in_w, pool->k_w, &kw_lo, &kw_hi);
                for (kh = kh_lo; kh < kh_hi; ++kh) {
                    for (kw = kw_lo; kw < kw_hi; ++kw) {
                        const int32_t v = fm_conv_out(p, rq, input, weights, bias, oc, h0 + kh * pool->dil_h,
                                                      w0 + kw * pool->dil_w);
                        if (v > best) best = v;
                    }
                }
                *output++ = (int8_t)best;
            }
        }
    }
    return FM_OK;
}
