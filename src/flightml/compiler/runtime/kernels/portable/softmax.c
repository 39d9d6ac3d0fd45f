/* flightml portable kernels: softmax, as TFLite computes it (gemmlowp fixed point, integers only) and as
 * ONNX Runtime's QLinearSoftmax computes it (float32 table). Hand-written, C99. Mirror of
 * flightml/compiler/ops/softmax.py, tested against it bit for bit. */
#include "fm_kernels.h"

#define FM_SM_I32_MAX 2147483647
#define FM_SM_I32_MIN (-2147483647 - 1)

/* x / 2^k rounded to nearest, ties away from zero (gemmlowp RoundingDivideByPOT), 0 <= k <= 62. */
static int64_t fm_sm_rdbp(int64_t x, int32_t k) {
    const int64_t mask = (int64_t)(((uint64_t)1 << k) - 1u);
    const int64_t rem = (int64_t)((uint64_t)x & (uint64_t)mask);
    const int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    const int64_t q = x >= 0 ? (x >> k) : ~((~x) >> k);
    return q + (rem > threshold ? 1 : 0);
}

/* gemmlowp SaturatingRoundingDoublingHighMul. */
static int32_t fm_sm_srdhm(int32_t a, int32_t b) {
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    if (a == b && a == FM_SM_I32_MIN) return FM_SM_I32_MAX;
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C99 division truncates toward zero */
}

/* x * 2^e saturated to int32 (gemmlowp SaturatingRoundingMultiplyByPOT, e > 0). */
static int32_t fm_sm_shl(int32_t x, int32_t e) {
    const int32_t th = (int32_t)((1u << (31 - e)) - 1u);
    if (x > th) return FM_SM_I32_MAX;
    if (x < -th) return FM_SM_I32_MIN;
    return (int32_t)((int64_t)x * ((int64_t)1 << e));
}

/* exp(a) for a <= 0: a in Q5.26, result in Q0.31 (gemmlowp exp_on_negative_values). */
static int32_t fm_sm_exp(int32_t a) {
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t quarter = (int32_t)1 << 24;
    const int32_t a_mod = (int32_t)((uint32_t)a & (uint32_t)(quarter - 1)) - quarter;
    const int32_t x = fm_sm_shl(a_mod, 5) + ((int32_t)1 << 28);
    const int32_t x2 = fm_sm_srdhm(x, x);
    const int32_t x3 = fm_sm_srdhm(x2, x);
    const int32_t x4_4 = (int32_t)fm_sm_rdbp(fm_sm_srdhm(x2, x2), 2);
    const int32_t poly = (int32_t)fm_sm_rdbp((int64_t)fm_sm_srdhm(x4_4 + x3, 715827883) + x2, 1);
    const int32_t remainder = a_mod - a;
    int32_t result = 1895147668 + fm_sm_srdhm(1895147668, x + poly);
    int32_t i;
    if (a == 0) return FM_SM_I32_MAX;
    for (i = 0; i < 7; ++i) {
        if (remainder & ((int32_t)1 << (24 + i))) result = fm_sm_srdhm(result, barrel[i]);
    }
    return result;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out (gemmlowp one_over_one_plus_x_for_x_in_0_1). */
static int32_t fm_sm_reciprocal(int32_t a) {
    const int64_t s = (int64_t)a + FM_SM_I32_MAX;
    const int32_t half = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
    int32_t x = 1515870810 + fm_sm_srdhm(half, -1010580540);
    int32_t i;
    for (i = 0; i < 3; ++i) {
        const int32_t one_minus = ((int32_t)1 << 29) - fm_sm_srdhm(half, x);
        x = x + fm_sm_shl(fm_sm_srdhm(x, one_minus), 2);
    }
    return fm_sm_shl(x, 1);
}

/* The Q5.26 scaled difference d * 2^shift * mult (TFLite MultiplyByQuantizedMultiplierGreaterThanOne),
 * clamped to int32 so that corrupted parameters stay defined. */
static int32_t fm_sm_scaled(int32_t d, const fm_softmax_params_t *p) {
    int64_t v = (int64_t)d * ((int64_t)1 << p->input_shift);
    if (v < FM_SM_I32_MIN) v = FM_SM_I32_MIN;
    return fm_sm_srdhm((int32_t)v, p->input_mult);
}

fm_status_t fm_softmax_s8(const fm_softmax_params_t *p, const int8_t *input, int8_t *output) {
    int32_t r, c;
    if (p == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->depth < 1 || p->input_shift < 0 || p->input_shift > 30 || p->diff_min > 0 || p->out_mult < 0)
        return FM_ERR_PARAM;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = input + r * p->depth;
        int8_t *y = output + r * p->depth;
        int32_t max = -128, headroom = 0, scale, total;
        int64_t sum = 0;
        uint32_t usum;
        for (c = 0; c < p->depth; ++c) {
            if (x[c] > max) max = x[c];
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t d = (int32_t)x[c] - max;
            if (d >= p->diff_min) sum += fm_sm_rdbp(fm_sm_exp(fm_sm_scaled(d, p)), 12);
        }
        usum = (uint32_t)(sum > FM_SM_I32_MAX ? FM_SM_I32_MAX : sum); /* >= 2^19: the row max gives exp 1 */
        while ((usum << headroom & 0x80000000u) == 0u && headroom < 31) ++headroom;
        scale = fm_sm_reciprocal((int32_t)((usum << headroom) - 0x80000000u));
        total = 31 - p->out_shift + 12 - headroom; /* TFLite: 12 - headroom bits over unit */
        total = total < 1 ? 1 : (total > 62 ? 62 : total);
        for (c = 0; c < p->depth; ++c) {
            const int32_t d = (int32_t)x[c] - max;
            int64_t v = -128;
            if (d >= p->diff_min) {
                const int64_t prob = fm_sm_srdhm(scale, fm_sm_exp(fm_sm_scaled(d, p)));
                v = fm_sm_rdbp(prob * p->out_mult, total) + p->out_zp;
                if (v > 127) v = 127;
                if (v < -128) v = -128;
            }
            y[c] = (int8_t)v;
        }
    }
    return FM_OK;
}

fm_status_t fm_softmax_ort_s8(const fm_softmax_params_t *p, const float *table, const int8_t *input, int8_t *output) {
    int32_t r, c;
    if (p == 0 || table == 0 || input == 0 || output == 0) return FM_ERR_NULL;
    if (p->depth < 1) return FM_ERR_PARAM;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = input + r * p->depth;
        int8_t *y = output + r * p->depth;
        int32_t max = -128;
        float sum = 0.0f;
        for (c = 0; c < p->depth; ++c) {
            if (x[c] > max) max = x[c];
        }
        for (c = 0; c < p->depth; ++c) sum += table[max - x[c]];
        for (c = 0; c < p->depth; ++c) {
            float f = (table[max - x[c]] * table[256]) / sum;
            int32_t v;
            if (!(f >= 0.0f)) f = 0.0f; /* NaN (corrupted table): defined */
            if (f > 512.0f) f = 512.0f;
            f = (f + 12582912.0f) - 12582912.0f; /* 1.5 * 2^23: round half to even */
            v = (int32_t)f + p->out_zp;
            y[c] = (int8_t)(v > 127 ? 127 : (v < -128 ? -128 : v));
        }
    }
    return FM_OK;
}
