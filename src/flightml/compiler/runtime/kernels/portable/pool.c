/* flightml portable kernels: max and average pooling, concat. Hand-written, C99. */
#include "fm_kernels.h"

fm_status_t fm_maxpool_s8(const fm_pool_params_t *p, const int8_t *input, int8_t *output) {
    int32_t c, oh, ow, kh, kw;
    if (p == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    for (c = 0; c < p->channels; ++c) {
        const int8_t *x_c = input + c * p->in_h * p->in_w;
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                int8_t best = -128;
                for (kh = 0; kh < p->k_h; ++kh) {
                    const int32_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
                    if (ih < 0 || ih >= p->in_h) continue;
                    for (kw = 0; kw < p->k_w; ++kw) {
                        const int32_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                        if (iw >= 0 && iw < p->in_w && x_c[ih * p->in_w + iw] > best) best = x_c[ih * p->in_w + iw];
                    }
                }
                *output++ = best;
            }
        }
    }
    return FM_OK;
}

fm_status_t fm_avgpool_s8(const fm_avgpool_params_t *ap, const fm_requant_t *rq, const int8_t *input, int8_t *output) {
    const fm_pool_params_t *p = ap == 0 ? 0 : &ap->pool;
    int32_t c, oh, ow, kh, kw;
    if (p == 0 || rq == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    for (c = 0; c < p->channels; ++c) {
        const int8_t *x_c = input + c * p->in_h * p->in_w;
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                int32_t acc = 0;
                int32_t count = 0;
                for (kh = 0; kh < p->k_h; ++kh) {
                    const int32_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
                    if (ih < 0 || ih >= p->in_h) continue;
                    for (kw = 0; kw < p->k_w; ++kw) {
                        const int32_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                        if (iw < 0 || iw >= p->in_w) continue;
                        acc += (int32_t)x_c[ih * p->in_w + iw] + ap->in_offset;
                        ++count;
                    }
                }
                if (ap->count_include_pad) count = p->k_h * p->k_w;
                *output++ = (int8_t)fm_requant(acc, rq, count > 0 ? count - 1 : 0);
            }
        }
    }
    return FM_OK;
}

fm_status_t fm_avgpool_ort_s8(const fm_avgpool_params_t *ap, const fm_avgpool_ort_t *q, const int8_t *input, int8_t *output) {
    const fm_pool_params_t *p = ap == 0 ? 0 : &ap->pool;
    int32_t c, oh, ow, kh, kw;
    if (p == 0 || q == 0 || q->scales == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    for (c = 0; c < p->channels; ++c) {
        const int8_t *x_c = input + c * p->in_h * p->in_w;
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                float sum = 0.0f;
                int32_t count = 0, v;
                for (kh = 0; kh < p->k_h; ++kh) {
                    const int32_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
                    if (ih < 0 || ih >= p->in_h) continue;
                    for (kw = 0; kw < p->k_w; ++kw) {
                        const int32_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                        if (iw < 0 || iw >= p->in_w) continue;
                        sum += q->scales[0] * (float)((int32_t)x_c[ih * p->in_w + iw] + ap->in_offset);
                        ++count;
                    }
                }
                if (ap->count_include_pad) count = p->k_h * p->k_w;
                sum = sum / (float)(count > 0 ? count : 1);
                sum = sum / q->scales[1] + (float)q->out_zp_raw;
                if (!(sum >= -1024.0f)) sum = -1024.0f; /* NaN (corrupted scales): defined */
                if (sum > 1024.0f) sum = 1024.0f;
                sum = (sum + 12582912.0f) - 12582912.0f; /* 1.5 * 2^23: round half to even */
                v = (int32_t)sum - q->raw_shift;
                *output++ = (int8_t)(v < q->act_min ? q->act_min : (v > q->act_max ? q->act_max : v));
            }
        }
    }
    return FM_OK;
}

fm_status_t fm_concat_s8(const fm_concat_params_t *p, const int8_t *const *inputs, int8_t *output) {
    int32_t o, i, k;
    if (p == 0 || inputs == 0 || output == 0 || p->chunk == 0) return FM_ERR_NULL;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->n_inputs; ++i) {
            const int8_t *src = inputs[i] + o * p->chunk[i];
            const int8_t *table = p->tables != 0 ? p->tables[i] : 0;
            if (table == 0) {
                for (k = 0; k < p->chunk[i]; ++k) *output++ = src[k];
            } else {
                for (k = 0; k < p->chunk[i]; ++k) *output++ = table[(int32_t)src[k] + 128];
            }
        }
    }
    return FM_OK;
}
