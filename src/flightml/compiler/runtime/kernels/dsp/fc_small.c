/* flightml DSP kernels: small fully connected layers with per-tensor requantization (TFLite's), where
 * fm_fc_s8's widened-input blocks cost more than the multiply-accumulates. Hand-written, C99 + ACLE.
 * Same contract and results as fm_fc_s8 (fc.c), which takes what these do not: per-channel constants,
 * constants off both inline rules of fm_dsp.h, other shapes, and (fm_fc_in8_s8) no bias. The scratch
 * is fm_fc_s8's. */
#include "fm_dsp.h"

/* The per-tensor inline rule: 1 the int8 rule of fm_dsp.h (fixedpoint), 2 the double-rounding one (tflm,
 * its multiplier M kept as 2M - 2^32 for fm_fc_rqt), 0 none. */
static int32_t fm_fc_rule(const fm_requant_t *rq, fm_dsp_rq8_t *q) {
    if (rq->per_channel) return 0;
    if (fm_dsp_rq8_load(rq, 0, q)) return 1;
    if (!fm_dsp_rqt_load(rq, 0, q)) return 0;
    q->mult = (int32_t)((uint32_t)q->mult << 1);
    return 2;
}

/* SMMLAR: round((acc * 2^32 + a * b) / 2^32), halfway up. */
static inline int32_t fm_fc_smmlar(int32_t a, int32_t b, int32_t acc) {
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* fm_dsp_rqt for every acc, mult2 = 2M - 2^32: SMMLAR(acc, mult2, acc) = round(2 acc M / 2^32) exactly (the
 * 64-bit sum is acc * 2M), gemmlowp's doubling high multiply for any acc (M > 0); |h| < |acc|, so
 * h - (h < 0) does not wrap, and where adding `add` saturates the exact result is beyond the clamp
 * (|.| >= 2^31 >> rshift >= 2^9), as the saturated one is. (__ssat: see fm_dsp_rq8.) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
static inline int8_t fm_fc_rqt(int32_t acc, int32_t mult2, int32_t add, int32_t rshift) {
    const int32_t h = fm_fc_smmlar(acc, mult2, acc);
    return (int8_t)__ssat(__qadd(h - (int32_t)((uint32_t)h >> 31), add) >> rshift, 8);
}
#pragma GCC diagnostic pop

/* requant(acc) by rule (1 or 2). */
static inline int8_t fm_fc_rq(int32_t acc, const fm_dsp_rq8_t *q, int32_t rule) {
    return rule == 1 ? fm_dsp_rq8(acc, q->mult, q->add, q->rshift) : fm_fc_rqt(acc, q->mult, q->add, q->rshift);
}

/* acc[0], acc[1] = sums over x[0 .. k) of (x + in_off) * (w + w_off) for rows w and w + k: each input
 * word widened once, in registers, for both rows. */
static void fm_fc_pair_dot(const int8_t *x, const int8_t *w, int32_t k, int32_t in_off, int32_t w_off, int32_t *acc) {
    const int16x2_t io = fm_dsp_pair(in_off), wo = fm_dsp_pair(w_off);
    const int8_t *end = x + (k & ~3);
    int32_t a0 = 0, a1 = 0, i;
    while (x != end) {
        const uint32_t v = fm_dsp_ld4(x), v0 = fm_dsp_ld4(w), v1 = fm_dsp_ld4(w + k);
        const int16x2_t xl = __sxtab16(io, (int8x4_t)v), xh = fm_dsp_hi(io, v);
        a0 = __smlad(xh, fm_dsp_hi(wo, v0), __smlad(xl, fm_dsp_wlo(wo, v0), a0));
        a1 = __smlad(xh, fm_dsp_hi(wo, v1), __smlad(xl, fm_dsp_wlo(wo, v1), a1));
        x += 4;
        w += 4;
    }
    for (i = 0; i < (k & 3); ++i) {
        a0 += (x[i] + in_off) * (w[i] + w_off);
        a1 += (x[i] + in_off) * (w[k + i] + w_off);
    }
    acc[0] = a0;
    acc[1] = a1;
}

fm_status_t fm_fc_pair_s8(const fm_fc_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
                          const int32_t *bias, void *scratch, int8_t *output) {
    fm_dsp_rq8_t q = {0, 0, 0};
    int32_t r, j, acc[2];
    int32_t rule;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) return FM_ERR_NULL;
    rule = fm_fc_rule(rq, &q);
    if (p->out_features != 2 || p->rows < 1 || p->in_features < 1 || rule == 0) {
        return fm_fc_s8(p, rq, input, weights, bias, scratch, output);
    }
    for (r = 0; r < p->rows; ++r) {
        fm_fc_pair_dot(input + r * p->in_features, weights, p->in_features, p->in_offset, p->w_offset, acc);
        for (j = 0; j < 2; ++j) {
            output[j] = fm_fc_rq(bias != 0 ? __qadd(acc[j], bias[j]) : acc[j], &q, rule);
        }
        output += 2;
    }
    return FM_OK;
}

/* output[n] = requant(bias[n] + sum over x[0 .. 8) of (x + in_off) * w[8 n ..]), n < n_out, for one input
 * row (widened once into four registers) and symmetric weights, by rule (1 or 2; a constant where this is
 * inlined). */
static inline void fm_fc_in8_row(const int8_t *x, const int8_t *w, const int32_t *bias, int32_t n_out,
                                 int32_t in_off, const fm_dsp_rq8_t *q, int32_t rule, int8_t *out) {
    const int16x2_t io = fm_dsp_pair(in_off);
    const uint32_t lo = fm_dsp_ld4(x), hi = fm_dsp_ld4(x + 4);
    const int16x2_t x0 = __sxtab16(io, (int8x4_t)lo), x1 = fm_dsp_hi(io, lo);
    const int16x2_t x2 = __sxtab16(io, (int8x4_t)hi), x3 = fm_dsp_hi(io, hi);
    const fm_dsp_rq8_t k = *q;
    const int8_t *end = out + n_out;
    while (out != end) {
        const uint32_t v0 = fm_dsp_ld4(w), v1 = fm_dsp_ld4(w + 4);
        int32_t acc = __smlad(x1, fm_dsp_hi0(v0), __smuad(x0, __sxtb16((int8x4_t)v0)));
        acc = __smlad(x3, fm_dsp_hi0(v1), __smlad(x2, __sxtb16((int8x4_t)v1), acc));
        w += 8;
        *out++ = fm_fc_rq(__qadd(acc, *bias++), &k, rule);
    }
}

fm_status_t fm_fc_in8_s8(const fm_fc_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
                         const int32_t *bias, void *scratch, int8_t *output) {
    fm_dsp_rq8_t q = {0, 0, 0};
    int32_t r;
    int32_t rule;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) return FM_ERR_NULL;
    rule = fm_fc_rule(rq, &q);
    if (p->in_features != 8 || p->w_offset != 0 || bias == 0 || p->rows < 1 || p->out_features < 1 || rule == 0) {
        return fm_fc_s8(p, rq, input, weights, bias, scratch, output);
    }
    for (r = 0; r < p->rows; ++r) {
        int8_t *out = output + r * p->out_features;
        if (rule == 1) {
            fm_fc_in8_row(input + 8 * r, weights, bias, p->out_features, p->in_offset, &q, 1, out);
        } else {
            fm_fc_in8_row(input + 8 * r, weights, bias, p->out_features, p->in_offset, &q, 2, out);
        }
    }
    return FM_OK;
}
