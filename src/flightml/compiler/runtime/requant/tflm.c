/* flightml runtime: fm_requant for the tflm mode (TFLite double rounding; integers only). Hand-written, C99.
 * Copied into each kernel set of a compiled model directory as fm_requant.c. */
#include "fm_requant.h"

int32_t fm_requant(int32_t acc, const fm_requant_t *rq, int32_t ch) {
    const int32_t i = rq->per_channel ? ch : 0;
    return fm_rq_tflm(acc, rq->mult[i], rq->shift[i], rq->out_zp, rq->act_min, rq->act_max);
}

void fm_requant_n(const int32_t *acc, const int32_t *bias, int32_t n, const fm_requant_t *rq, int32_t ch,
                  int32_t ch_step, int8_t *dst) {
    /* fields copied to locals: stores through dst (int8_t) may alias *rq, which would force reloads */
    const int32_t *mult = rq->mult;
    const int8_t *shift = rq->shift;
    const int32_t per_channel = rq->per_channel;
    const int32_t zp = rq->out_zp;
    const int32_t lo = rq->act_min;
    const int32_t hi = rq->act_max;
    int32_t k;
    if (ch_step == 0 || !per_channel) { /* one requant constant: loaded once */
        const int32_t i0 = per_channel ? ch : 0;
        const int32_t m0 = mult[i0];
        const int32_t s0 = shift[i0];
        for (k = 0; k < n; ++k) {
            const int32_t b = bias != 0 ? bias[ch + k * ch_step] : 0;
            dst[k] = (int8_t)fm_rq_tflm(fm_sat_add32(acc[k], b), m0, s0, zp, lo, hi);
        }
        return;
    }
    for (k = 0; k < n; ++k) {
        const int32_t c = ch + k; /* per-channel constants of consecutive channels */
        const int32_t a = bias != 0 ? fm_sat_add32(acc[k], bias[c]) : acc[k];
        dst[k] = (int8_t)fm_rq_tflm(a, mult[c], shift[c], zp, lo, hi);
    }
}

int32_t fm_requant_add(int32_t a, int32_t b, const fm_add_requant_t *rq) {
    /* TFLite Add: inputs << 20, each scaled, summed, rescaled; every product with the double rounding */
    const int32_t a0 = fm_clamp32((int64_t)(a - rq->a_zp) * 1048576, INT32_MIN, INT32_MAX);
    const int32_t b0 = fm_clamp32((int64_t)(b - rq->b_zp) * 1048576, INT32_MIN, INT32_MAX);
    const int32_t sum = fm_clamp32((int64_t)fm_mul_tflm(a0, rq->mult[0], rq->shift[0]) +
                                       (int64_t)fm_mul_tflm(b0, rq->mult[1], rq->shift[1]),
                                   INT32_MIN, INT32_MAX);
    return fm_clamp32((int64_t)fm_mul_tflm(sum, rq->mult[2], rq->shift[2]) + rq->out_zp, rq->act_min, rq->act_max);
}
