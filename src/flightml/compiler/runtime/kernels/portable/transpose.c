/* flightml portable kernels: transpose of an int8 [rows][cols] matrix (layout changes). Hand-written, C99. */
#include "fm_kernels.h"

int fm_transpose_s8(const fm_transpose_params_t *p, const int8_t *input, int8_t *output) {
    int32_t r, c;
    if (p == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->rows < 1 || p->cols < 1) return FM_ERR_PARAM;
    for (c = 0; c < p->cols; ++c) {
        const int8_t *x = input + c;
        for (r = 0; r < p->rows; ++r) *output++ = x[r * p->cols];
    }
    return FM_OK;
}
