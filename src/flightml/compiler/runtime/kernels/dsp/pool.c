/* flightml DSP kernel set: max pooling. Hand-written, C99. Max pooling has no multiplies, so this is
 * the portable algorithm (kernels/portable/pool.c) with the window bounds hoisted out of the inner
 * loops; it completes the DSP set (every kernel of fm_kernels.h) with the same results. */
#include "fm_kernels.h"

int fm_maxpool_s8(const fm_pool_params_t *p, const int8_t *input, int8_t *output) {
    int32_t c, oh, ow, kh, kw;
    if (p == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    for (c = 0; c < p->channels; ++c) {
        const int8_t *x_c = input + c * p->in_h * p->in_w;
        for (oh = 0; oh < p->out_h; ++oh) {
            const int32_t h0 = oh * p->stride_h - p->pad_top;
            for (ow = 0; ow < p->out_w; ++ow) {
                const int32_t w0 = ow * p->stride_w - p->pad_left;
                int8_t best = -128;
                for (kh = 0; kh < p->k_h; ++kh) {
                    const int32_t ih = h0 + kh * p->dil_h;
                    if (ih < 0 || ih >= p->in_h) continue;
                    for (kw = 0; kw < p->k_w; ++kw) {
                        const int32_t iw = w0 + kw * p->dil_w;
                        if (iw >= 0 && iw < p->in_w && x_c[ih * p->in_w + iw] > best) best = x_c[ih * p->in_w + iw];
                    }
                }
                *output++ = best;
            }
        }
    }
    return FM_OK;
}
