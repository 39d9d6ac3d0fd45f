/* flightml DSP kernel set: max/average pooling and concatenation. Max pooling, ONNX Runtime's float
 * average pool and concatenation do no multiply-accumulates: the DSP set compiles the portable source
 * itself (one implementation, bit-exact by construction). The integer average pool sums each window
 * with USADA8 (fm_dsp_window_sum) when its windows are contiguous along w, else takes the portable
 * kernel (renamed fm_avgpool_portable_s8 here). */
#include "fm_dsp.h"

#define fm_avgpool_s8 fm_avgpool_portable_s8
#include "../portable/pool.c"
#undef fm_avgpool_s8

fm_status_t fm_avgpool_s8(const fm_avgpool_params_t *ap, const fm_requant_t *rq, const int8_t *input, int8_t *output) {
    const fm_pool_params_t *p = ap == 0 ? 0 : &ap->pool;
    int32_t c, oh, ow, count;
    if (p == 0 || rq == 0 || input == 0 || output == 0 || p->dil_w != 1 || p->stride_h < 1 || p->stride_w < 1 ||
        p->dil_h < 1) {
        return fm_avgpool_portable_s8(ap, rq, input, output);
    }
    for (c = 0; c < p->channels; ++c) {
        const int8_t *x_c = input + c * p->in_h * p->in_w;
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                const int32_t sum = fm_dsp_window_sum(p, x_c, oh, ow, &count);
                const int32_t acc = sum + count * ap->in_offset;
                if (ap->count_include_pad) count = p->k_h * p->k_w;
                *output++ = (int8_t)fm_requant(acc, rq, count > 0 ? count - 1 : 0);
            }
        }
    }
    return FM_OK;
}
