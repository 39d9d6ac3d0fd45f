/* flightml portable kernels: elementwise 256-entry table lookup (Sigmoid; the compiler builds the table).
 * Hand-written, C99. No arithmetic, so the DSP set takes this file as it is. */
#include "fm_kernels.h"

fm_status_t fm_lut_s8(const fm_lut_params_t *p, const int8_t *table, const int8_t *input, int8_t *output) {
    int32_t i;
    if (p == 0 || table == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->size < 0) return FM_ERR_PARAM;
    for (i = 0; i < p->size; ++i) output[i] = table[(uint8_t)input[i]];
    return FM_OK;
}
