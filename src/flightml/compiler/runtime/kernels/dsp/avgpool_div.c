/* flightml DSP kernel set: TFLite's average pool. Each window summed with USADA8 (fm_dsp_window_sum)
 * when its windows are contiguous along w, else the portable kernel (renamed
 * fm_avgpool_div_portable_s8 here). Same results as kernels/portable/avgpool_div.c. */
#include "fm_dsp.h"

#define fm_avgpool_div_s8 fm_avgpool_div_portable_s8
#include "../portable/avgpool_div.c"
#undef fm_avgpool_div_s8

fm_status_t fm_avgpool_div_s8(const fm_avgpool_div_params_t *ap, const int8_t *input, int8_t *output) {
    const fm_pool_params_t *p = ap == 0 ? 0 : &ap->pool;
    const int32_t lo = ap != 0 ? ap->act_min : 0, hi = ap != 0 ? ap->act_max : 0;
    int32_t c, oh, ow, count, sum, avg;
    if (p == 0 || input == 0 || output == 0 || p->dil_w != 1 || p->stride_h < 1 || p->stride_w < 1 ||
        p->dil_h < 1) {
        return fm_avgpool_div_portable_s8(ap, input, output);
    }
    for (c = 0; c < p->channels; ++c) {
        const int8_t *x_c = input + c * p->in_h * p->in_w;
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                sum = fm_dsp_window_sum(p, x_c, oh, ow, &count);
                if (count == 0) count = 1;
                avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                *output++ = (int8_t)(avg < lo ? lo : avg > hi ? hi : avg);
            }
        }
    }
    return FM_OK;
}
