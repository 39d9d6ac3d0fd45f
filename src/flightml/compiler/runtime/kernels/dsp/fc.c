/* flightml DSP kernels: fully connected (Gemm, MatMul) with SMLAD. Hand-written, C99 + ACLE.
 * Same contract and results as kernels/portable/fc.c. The input row is widened FM_DSP_CHUNK values
 * at a time and reused for up to FM_DSP_ROWS output features, four weight rows per inner loop.
 * Scratch (ops/fc.py: scratch_bytes): FM_DSP_ROWS int32 accumulators, then min(in_features & ~3,
 * FM_DSP_CHUNK) widened int16 inputs. */
#include "fm_dsp.h"

/* Accumulators of outputs n0 .. n0 + nb - 1 for input row x (nb <= FM_DSP_ROWS) in acc[0 .. nb), the
 * widened inputs after acc[FM_DSP_ROWS - 1] (the layout of the scratch). */
static void fm_fc_block(const fm_fc_params_t *p, const int8_t *x, const int8_t *weights, int32_t n0, int32_t nb,
                        int32_t *acc) {
    int16_t *xq = (int16_t *)(acc + FM_DSP_ROWS);
    const int32_t k = p->in_features, in_off = p->in_offset, w_off = p->w_offset; /* read once: acc may alias p */
    const int32_t k4 = k & ~3;
    int32_t c0, j, i;
    for (c0 = 0; c0 < k4; c0 += FM_DSP_CHUNK) { /* the first pass starts the accumulators at 0 */
        const int32_t n4 = (k4 - c0 < FM_DSP_CHUNK ? k4 - c0 : FM_DSP_CHUNK) / 4;
        const int8_t *w = weights + n0 * k + c0;
        fm_dsp_widen(x + c0, n4, in_off, xq, 4);
        for (j = 0; j + 4 <= nb; j += 4) {
            if (c0 == 0) acc[j] = acc[j + 1] = acc[j + 2] = acc[j + 3] = 0;
            fm_dsp_mac4(xq, w + j * k, k, n4, w_off, acc + j);
        }
        for (; j < nb; ++j) acc[j] = fm_dsp_mac1(xq, w + j * k, n4, w_off, c0 == 0 ? 0 : acc[j]);
    }
    for (i = k4; i < k; ++i) { /* k < 4: the accumulators start at 0 here */
        const int32_t xi = (int32_t)x[i] + in_off;
        for (j = 0; j < nb; ++j) {
            acc[j] = (i == 0 ? 0 : acc[j]) + xi * ((int32_t)weights[(n0 + j) * k + i] + w_off);
        }
    }
}

/* output[j] = requant(acc[j] + bias[n0 + j]), j < nb, per-tensor constants: the int8 rule of fm_dsp.h or
 * its double-rounding (tflm) rule, looked up once, where one applies (tflm: for |acc + bias| < 2^30),
 * else the mode's fm_requant. */
static void fm_fc_out_tensor(const int32_t *acc, int32_t nb, const fm_requant_t *rq, const int32_t *bias,
                             int32_t n0, int8_t *output) {
    fm_dsp_rq8_t q = {0, 0, 0};
    const int32_t rule = fm_dsp_rq8_load(rq, 0, &q) ? 1 : fm_dsp_rqt_load(rq, 0, &q) ? 2 : 0;
    int32_t j;
    for (j = 0; j < nb; ++j) {
        const int32_t a = bias != 0 ? __qadd(acc[j], bias[n0 + j]) : acc[j];
        if (rule == 1) {
            output[j] = fm_dsp_rq8(a, q.mult, q.add, q.rshift);
        } else if (rule == 2 && a < 0x40000000 && a > -0x40000000) {
            output[j] = fm_dsp_rqt(a, q.mult, q.add, q.rshift);
        } else {
            output[j] = (int8_t)fm_requant(a, rq, n0 + j);
        }
    }
}

/* output[j] as fm_fc_out_tensor, per-channel constants loaded per output: the int8 rule of fm_dsp.h where it applies,
 * else the mode's fm_requant (tflm keeps that general rule here: TFLite's fully connected layers are
 * per tensor). */
static void fm_fc_out_channel(const int32_t *acc, int32_t nb, const fm_requant_t *rq, const int32_t *bias,
                              int32_t n0, int8_t *output) {
    fm_dsp_rq8_t q;
    int32_t j;
    for (j = 0; j < nb; ++j) {
        const int32_t a = bias != 0 ? __qadd(acc[j], bias[n0 + j]) : acc[j];
        output[j] = fm_dsp_rq8_load(rq, n0 + j, &q) ? fm_dsp_rq8(a, q.mult, q.add, q.rshift)
                                                    : (int8_t)fm_requant(a, rq, n0 + j);
    }
}

fm_status_t fm_fc_s8(const fm_fc_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
             const int32_t *bias, void *scratch, int8_t *output) {
    int32_t *acc = (int32_t *)scratch;
    int32_t r, n0;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) return FM_ERR_NULL;
    if (p->rows < 1 || p->in_features < 1 || p->out_features < 1) return FM_ERR_PARAM;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = input + r * p->in_features;
        for (n0 = 0; n0 < p->out_features; n0 += FM_DSP_ROWS) {
            const int32_t nb = p->out_features - n0 < FM_DSP_ROWS ? p->out_features - n0 : FM_DSP_ROWS;
            fm_fc_block(p, x, weights, n0, nb, acc);
            if (rq->per_channel) {
                fm_fc_out_channel(acc, nb, rq, bias, n0, output);
            } else {
                fm_fc_out_tensor(acc, nb, rq, bias, n0, output);
            }
            output += nb;
        }
    }
    return FM_OK;
}
