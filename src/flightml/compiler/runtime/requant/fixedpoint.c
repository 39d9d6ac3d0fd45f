/* flightml runtime: fm_requant for the fixedpoint mode (integers only). Hand-written, C99.
 * Copied into each kernel set of a compiled model directory as fm_requant.c. */
#include "fm_requant.h"

int32_t fm_requant(int32_t acc, const fm_requant_t *rq, int32_t ch) {
    const int32_t i = rq->per_channel ? ch : 0;
    const int32_t a = acc;
    return fm_rq_fixedpoint(a, rq->mult[i], rq->shift[i], rq->out_zp, rq->act_min, rq->act_max);
}

void fm_requant_n(const int32_t *acc, const int32_t *bias, int32_t n, const fm_requant_t *rq, int32_t ch,
                  int32_t ch_step, int8_t *dst) {
    int32_t k;
    if (ch_step == 0) { /* one channel: constants loaded once */
        const int32_t i0 = rq->per_channel ? ch : 0;
        const int32_t b = bias != 0 ? bias[ch] : 0;
        const int32_t mult = rq->mult[i0];
        const int32_t shift = rq->shift[i0];
        for (k = 0; k < n; ++k) {
            const int32_t a = fm_sat_add32(acc[k], b);
            dst[k] = (int8_t)fm_rq_fixedpoint(a, mult, shift, rq->out_zp, rq->act_min, rq->act_max);
        }
        return;
    }
    for (k = 0; k < n; ++k) {
        const int32_t c = ch + k * ch_step;
        const int32_t i = rq->per_channel ? c : 0;
        const int32_t a = bias != 0 ? fm_sat_add32(acc[k], bias[c]) : acc[k];
        dst[k] = (int8_t)fm_rq_fixedpoint(a, rq->mult[i], rq->shift[i], rq->out_zp, rq->act_min, rq->act_max);
    }
}

int32_t fm_requant_add(int32_t a, int32_t b, const fm_add_requant_t *rq) {
    return fm_rq_add_fixedpoint(a, b, rq->mult, rq->shift, rq);
}
