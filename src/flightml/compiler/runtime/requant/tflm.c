/* flightml runtime: fm_requant for the tflm mode (TFLite double rounding; integers only).
 * Hand-written, C99. One file per mode (its rules only), copied into each kernel set of a compiled model
 * directory as fm_requant.c: a package holds its own mode's arithmetic and nothing else. */
#include "fm_requant.h"

int32_t fm_requant(int32_t acc, const fm_requant_t *rq, int32_t ch) {
    const int32_t i = rq->per_channel ? ch : 0;
    return fm_rq_tflm(acc, rq->mult[i], rq->shift[i], rq->out_zp, rq->act_min, rq->act_max);
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
