/* flightml runtime: fm_requant for the fixedpoint mode (integers only). Hand-written, C99.
 * Copied into each kernel set of a compiled model directory as fm_requant.c. */
#include "fm_requant.h"

int32_t fm_requant(int32_t acc, const fm_requant_t *rq, int32_t ch) {
    const int32_t i = rq->per_channel ? ch : 0;
    return fm_rq_fixedpoint(acc, rq->mult[i], rq->shift[i], rq->out_zp, rq->act_min, rq->act_max);
}
