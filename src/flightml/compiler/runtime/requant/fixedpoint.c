/* flightml runtime: fm_requant for the fixedpoint mode (integers only).
 * Hand-written, C99. One file per mode (its rules only), copied into each kernel set of a compiled model
 * directory as fm_requant.c: a package holds its own mode's arithmetic and nothing else. */
#include "fm_requant.h"

int32_t fm_requant(int32_t acc, const fm_requant_t *rq, int32_t ch) {
    const int32_t i = rq->per_channel ? ch : 0;
    return fm_rq_fixedpoint(acc, rq->mult[i], rq->shift[i], rq->out_zp, rq->act_min, rq->act_max);
}

int32_t fm_requant_add(int32_t a, int32_t b, const fm_add_requant_t *rq) {
    return fm_rq_add_fixedpoint(a, b, rq->mult, rq->shift, rq);
}
