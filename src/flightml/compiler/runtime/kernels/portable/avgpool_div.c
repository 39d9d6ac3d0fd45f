/* flightml portable kernels: TFLite's int8 average pool (rounded integer division). Hand-written, C99. */
#include "fm_kernels.h"

fm_status_t fm_avgpool_div_s8(const fm_avgpool_div_params_t *ap, const int8_t *input, int8_t *output) {
    const fm_pool_params_t *p = ap == 0 ? 0 : &ap->pool;
    int32_t c, oh, ow, kh, kw;
    if (p == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    for (c = 0; c < p->channels; ++c) {
        const int8_t *x_c = input + c * p->in_h * p->in_w;
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                int32_t sum = 0, count = 0, avg;
                for (kh = 0; kh < p->k_h; ++kh) {
                    const int32_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
                    if (ih < 0 || ih >= p->in_h) continue;
                    for (kw = 0; kw < p->k_w; ++kw) {
                        const int32_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                        if (iw < 0 || iw >= p->in_w) continue;
                        sum += x_c[ih * p->in_w + iw];
                        ++count;
                    }
                }
                if (count == 0) count = 1;
                avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                *output++ = (int8_t)fm_clamp32(avg, ap->act_min, ap->act_max);
            }
        }
    }
    return FM_OK;
}
