/* flightml runtime: fm_requant for the ort-int mode (ONNX Runtime's float32 rounding on integers only).
 * Hand-written, C99. One file per mode (its rules only), copied into each kernel set of a compiled model
 * directory as fm_requant.c: a package holds its own mode's arithmetic and nothing else. */
#include "fm_requant.h"

int32_t fm_requant(int32_t acc, const fm_requant_t *rq, int32_t ch) {
    const int32_t i = rq->per_channel ? ch : 0;
    return fm_rq_ort_int(acc, rq->mult[i], rq->shift[i], rq->out_zp, rq->act_min, rq->act_max);
}

/* Unreachable: the compiler rejects Add in ort-int (it needs an integer fused multiply-add); defined so the
 * kernel set links, and returns the output zero point (clamped). */
int32_t fm_requant_add(int32_t a, int32_t b, const fm_add_requant_t *rq) {
    (void)a;
    (void)b;
    return fm_clamp32(rq->out_zp, rq->act_min, rq->act_max);
}
