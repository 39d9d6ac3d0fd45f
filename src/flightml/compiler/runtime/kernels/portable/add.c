/* flightml portable kernels: elementwise Add with requantization. Hand-written, C99. */
#include "fm_kernels.h"

fm_status_t fm_add_s8(const fm_add_params_t *p, const fm_add_requant_t *rq, const int8_t *a, const int8_t *b,
              void *scratch, int8_t *output) {
    int32_t i;
    (void)scratch; /* the DSP set's tables */
    if (p == 0 || rq == 0 || a == 0 || b == 0 || output == 0) return FM_ERR_NULL;
    if (p->a_size < 1 || p->b_size < 1 || p->size % p->a_size != 0 || p->size % p->b_size != 0) return FM_ERR_PARAM;
    if (p->a_size == p->size && p->b_size == p->size) { /* residual: no division per element (none on Cortex-M0) */
        for (i = 0; i < p->size; ++i) output[i] = (int8_t)fm_requant_add(a[i], b[i], rq);
        return FM_OK;
    }
    for (i = 0; i < p->size; ++i) {
        output[i] = (int8_t)fm_requant_add(a[i % p->a_size], b[i % p->b_size], rq);
    }
    return FM_OK;
}
