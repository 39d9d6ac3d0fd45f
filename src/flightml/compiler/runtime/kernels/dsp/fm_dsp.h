/* flightml DSP kernel helpers (Cortex-M4/M7/M33 DSP extension through ACLE intrinsics).
 * Hand-written, C99 + arm_acle.h. The CMSIS-NN technique: int8 values are widened to 16-bit lanes
 * with their offset added (SXTAB16 takes bytes 0 and 2 of a word, and bytes 1 and 3 in its ROR #8
 * form), then SMLAD does two 16 x 16 multiply-accumulates per instruction. Activations are widened
 * once into a small stack buffer (lane order: per group of four values, (x0, x2) then (x1, x3)) and
 * reused for many output rows; weights are widened in the inner loop. Every value is exact:
 * (x + x_off) and (w + w_off) lie in [-255, 255], and the compiler guarantees the sum of products
 * fits in int32, so the results equal the portable kernels bit for bit. */
#ifndef FM_DSP_H
#define FM_DSP_H

/* gcc's pre-allocation scheduler raises register pressure in the 4-row loops past the 14 free
 * registers (spills cost about 8% more instructions; scheduling after allocation still runs), and
 * loop distribution would turn accumulator zeroing into memset calls (kernels stay libc-free). */
#pragma GCC optimize("no-schedule-insns", "no-tree-loop-distribute-patterns")

#include <arm_acle.h>
#include <stdint.h>

#include "fm_kernels.h"

#define FM_DSP_CHUNK 512 /* reduction values widened per pass (multiple of 4): 1 KB of stack */
#define FM_DSP_ROWS 64   /* output rows accumulated per pass */

/* Four int8 values from any address (unaligned word loads are legal on ARMv7E-M/ARMv8-M). */
static inline uint32_t fm_dsp_ld4(const int8_t *p) {
    uint32_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

/* Two int16 lanes from a widened buffer. */
static inline int16x2_t fm_dsp_ld2(const int16_t *p) {
    int16x2_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline void fm_dsp_st2(int16_t *p, int16x2_t v) { __builtin_memcpy(p, &v, sizeof v); }

/* (bytes 1 and 3 of v) + off, lane-wise: SXTAB16 in its ROR #8 form (gcc 12's ACLE has no __ror
 * and does not fold a rotate into __sxtab16; CMSIS-NN writes this instruction out the same way). */
static inline int16x2_t fm_dsp_hi(int16x2_t off, uint32_t v) {
    int16x2_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(off), "r"(v));
    return r;
}

/* Bytes 1 and 3 of v, sign-extended (SXTB16 in its ROR #8 form). */
static inline int16x2_t fm_dsp_hi0(uint32_t v) {
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

/* An offset in both 16-bit lanes. */
static inline int16x2_t fm_dsp_pair(int32_t offset) {
    const uint32_t half = (uint32_t)offset & 0xFFFFu;
    return (int16x2_t)(half | (half << 16));
}

/* Weight word v widened with offset wo into its low (bytes 0, 2) and high (bytes 1, 3) lanes. */
static inline int16x2_t fm_dsp_wlo(int16x2_t wo, uint32_t v) { return __sxtab16(wo, (int8x4_t)v); }

/* Widen x[0 .. 4 * n4) + x_off into lane order at xq (stride: int16 between groups, >= 4). */
static inline void fm_dsp_widen(const int8_t *x, int32_t n4, int32_t x_off, int16_t *xq, int32_t stride) {
    const int16x2_t xo = fm_dsp_pair(x_off);
    int32_t i;
    for (i = 0; i < n4; ++i) {
        const uint32_t v = fm_dsp_ld4(x + 4 * i);
        fm_dsp_st2(xq, __sxtab16(xo, (int8x4_t)v));
        fm_dsp_st2(xq + 2, fm_dsp_hi(xo, v));
        xq += stride;
    }
}

/* acc[j] += sum over n4 groups of xq . (w[j * stride + ...] + w_off), rows j = 0..3. */
static inline void fm_dsp_mac4(const int16_t *xq, const int8_t *w, int32_t stride, int32_t n4, int32_t w_off,
                               int32_t acc[4]) {
    const int16x2_t wo = fm_dsp_pair(w_off);
    const int8_t *w0 = w;
    const int8_t *w1 = w0 + stride;
    const int8_t *w2 = w1 + stride;
    const int8_t *w3 = w2 + stride;
    const int16_t *end = xq + 4 * n4;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    if (w_off == 0) { /* symmetric weights (the usual case): plain SXTB16, one register freed */
        while (xq != end) {
            const int16x2_t xa = fm_dsp_ld2(xq);
            const int16x2_t xb = fm_dsp_ld2(xq + 2);
            uint32_t v = fm_dsp_ld4(w0);
            a0 = __smlad(xb, fm_dsp_hi0(v), __smlad(xa, __sxtb16((int8x4_t)v), a0));
            v = fm_dsp_ld4(w1);
            a1 = __smlad(xb, fm_dsp_hi0(v), __smlad(xa, __sxtb16((int8x4_t)v), a1));
            v = fm_dsp_ld4(w2);
            a2 = __smlad(xb, fm_dsp_hi0(v), __smlad(xa, __sxtb16((int8x4_t)v), a2));
            v = fm_dsp_ld4(w3);
            a3 = __smlad(xb, fm_dsp_hi0(v), __smlad(xa, __sxtb16((int8x4_t)v), a3));
            xq += 4;
            w0 += 4;
            w1 += 4;
            w2 += 4;
            w3 += 4;
        }
    }
    while (xq != end) {
        const int16x2_t xa = fm_dsp_ld2(xq);
        const int16x2_t xb = fm_dsp_ld2(xq + 2);
        uint32_t v = fm_dsp_ld4(w0);
        a0 = __smlad(xa, fm_dsp_wlo(wo, v), a0);
        a0 = __smlad(xb, fm_dsp_hi(wo, v), a0);
        v = fm_dsp_ld4(w1);
        a1 = __smlad(xa, fm_dsp_wlo(wo, v), a1);
        a1 = __smlad(xb, fm_dsp_hi(wo, v), a1);
        v = fm_dsp_ld4(w2);
        a2 = __smlad(xa, fm_dsp_wlo(wo, v), a2);
        a2 = __smlad(xb, fm_dsp_hi(wo, v), a2);
        v = fm_dsp_ld4(w3);
        a3 = __smlad(xa, fm_dsp_wlo(wo, v), a3);
        a3 = __smlad(xb, fm_dsp_hi(wo, v), a3);
        xq += 4;
        w0 += 4;
        w1 += 4;
        w2 += 4;
        w3 += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* acc + sum over n4 groups of xq . (w + w_off) for one row. */
static inline int32_t fm_dsp_mac1(const int16_t *xq, const int8_t *w, int32_t n4, int32_t w_off, int32_t acc) {
    const int16x2_t wo = fm_dsp_pair(w_off);
    int32_t i;
    for (i = 0; i < n4; ++i) {
        const uint32_t v = fm_dsp_ld4(w + 4 * i);
        acc = __smlad(fm_dsp_ld2(xq + 4 * i), fm_dsp_wlo(wo, v), acc);
        acc = __smlad(fm_dsp_ld2(xq + 4 * i + 2), fm_dsp_hi(wo, v), acc);
    }
    return acc;
}

/* Requantization constants of one channel, loaded once and applied to many accumulators. */
typedef struct {
    int32_t fast;             /* 1: fixedpoint with shift in [-31, -2] (inline path); 0: call fm_requant */
    int32_t mult, round_hi;   /* multiplier; 2^(total - 1) / 2^32 with total = 31 - shift */
    int32_t rshift;           /* total - 32 */
    int32_t zp, lo, hi;       /* output zero point and clamp */
    int32_t ch;               /* channel (for fm_requant) */
    const fm_requant_t *rq;
} fm_dsp_rq_t;

static inline void fm_dsp_rq_load(const fm_requant_t *rq, int32_t ch, fm_dsp_rq_t *q) {
    const int32_t i = rq->per_channel ? ch : 0;
    q->fast = rq->mult != 0 && rq->shift[i] <= -2 && rq->shift[i] >= -31;
    q->mult = q->fast ? rq->mult[i] : 0;
    q->rshift = q->fast ? -1 - rq->shift[i] : 0;
    q->round_hi = (int32_t)(1u << (q->fast ? q->rshift : 0) >> 1);
    q->zp = rq->out_zp;
    q->lo = rq->act_min;
    q->hi = rq->act_max;
    q->ch = ch;
    q->rq = rq;
}

/* The fixed-point rule of fm_rq_fixedpoint for shifts in [-31, -2]: with t = 31 - shift,
 * floor((acc * mult + 2^(t-1)) / 2^t) == (floor(acc * mult / 2^32) + 2^(t-33)) >> (t - 32), since nested
 * floor divisions by powers of two compose; the high word is one SMMUL. */
static inline int32_t fm_dsp_rq_fast(int32_t acc, int32_t mult, int32_t round_hi, int32_t rshift, int32_t zp,
                                     int32_t lo, int32_t hi) {
    const int32_t high = (int32_t)(((int64_t)acc * mult) >> 32); /* gcc: arithmetic shift, SMMUL */
    int32_t y = ((high + round_hi) >> rshift) + zp;
    if (y < lo) y = lo;
    if (y > hi) y = hi;
    return y;
}

/* fm_dsp_rq_fast with the full int8 clamp [-128, 127]: one SSAT (most layers after ReLU have this
 * range). gcc 12's __ssat macro assigns its builtin's result with a sign conversion of its own, hence
 * the local diagnostic pragma (-Wconversion builds stay clean). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
static inline int32_t fm_dsp_rq_sat8(int32_t acc, int32_t mult, int32_t round_hi, int32_t rshift, int32_t zp) {
    const int32_t high = (int32_t)(((int64_t)acc * mult) >> 32);
    return __ssat(((high + round_hi) >> rshift) + zp, 8);
}
#pragma GCC diagnostic pop

/* fm_requant(acc) for the loaded channel: the inline fixed-point rule, else the mode's fm_requant. */
static inline int32_t fm_dsp_rq_apply(const fm_dsp_rq_t *q, int32_t acc) {
    if (q->fast) return fm_dsp_rq_fast(acc, q->mult, q->round_hi, q->rshift, q->zp, q->lo, q->hi);
    return fm_requant(acc, q->rq, q->ch);
}

/* fm_requant(acc, rq, ch) through fm_dsp_rq_apply. */
static inline int32_t fm_dsp_requant(int32_t acc, const fm_requant_t *rq, int32_t ch) {
    fm_dsp_rq_t q;
    fm_dsp_rq_load(rq, ch, &q);
    return fm_dsp_rq_apply(&q, acc);
}

/* Accumulator plus bias (int32 saturating: QADD equals fm_sat_add32), requantized for channel ch. */
static inline int32_t fm_dsp_finish(int32_t acc, const int32_t *bias, const fm_requant_t *rq, int32_t ch) {
    if (bias != 0) acc = __qadd(acc, bias[ch]);
    return fm_dsp_requant(acc, rq, ch);
}

/* 1 when fm_requant is non-decreasing in the accumulator for channel ch (multiplier or scale >= 0),
 * so max(requant(a), requant(b)) == requant(max(a, b)); corrupted constants give 0. */
static inline int fm_dsp_monotonic(const fm_requant_t *rq, int32_t ch) {
    const int32_t i = rq->per_channel ? ch : 0;
    if (rq->mult != 0) return rq->mult[i] >= 0;
    return rq->scale != 0 && rq->scale[i] >= 0.0f;
}

#endif /* FM_DSP_H */
