/* flightml DSP kernel helpers (Cortex-M4/M7/M33 DSP extension through ACLE intrinsics).
 * Hand-written, C99 + arm_acle.h. The CMSIS-NN technique: int8 values are widened to 16-bit lanes
 * with the offset added (SXTAB16 takes bytes 0 and 2 of a word, and bytes 1 and 3 with its ROR #8
 * form), then SMLAD does two 16 x 16 multiply-accumulates per instruction. Activations are widened
 * once into a small stack buffer (`fm_dsp_widen`) and reused for every output row; weights are
 * widened in the inner loop. Every value is exact: (x + x_off) and (w + w_off) lie in [-255, 255],
 * and the compiler guarantees the sum of products fits in int32, so the results equal the portable
 * kernels bit for bit. */
#ifndef FM_DSP_H
#define FM_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "fm_kernels.h"

#define FM_DSP_CHUNK 128 /* activations widened per pass: 256 bytes of stack */
#define FM_DSP_ROWS 64   /* output rows accumulated per pass: 256 bytes of stack */

/* Four int8 values from any address (unaligned word loads are legal on ARMv7E-M/ARMv8-M). */
static inline uint32_t fm_dsp_ld4(const int8_t *p) {
    uint32_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

/* (bytes 1 and 3 of v) + off, lane-wise: SXTAB16 with its ROR #8 operand (gcc 12's ACLE has no
 * __ror and does not fold a rotate into __sxtab16, so this instruction is written out, as CMSIS-NN
 * does with __SXTB16_RORn). */
static inline int16x2_t fm_dsp_hi(int16x2_t off, uint32_t v) {
    int16x2_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(off), "r"(v));
    return r;
}

/* Bytes 1 and 3 of v, sign-extended (SXTB16 ROR #8). */
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

/* Widen x[0 .. 4 * n4) + x_off into lanes: per group of four, xq = (x0, x2), (x1, x3). */
static inline void fm_dsp_widen(const int8_t *x, int32_t n4, int32_t x_off, int16x2_t *xq) {
    const int16x2_t xo = fm_dsp_pair(x_off);
    int32_t i;
    for (i = 0; i < n4; ++i) {
        const uint32_t v = fm_dsp_ld4(x + 4 * i);
        xq[2 * i] = __sxtab16(xo, (int8x4_t)v);
        xq[2 * i + 1] = fm_dsp_hi(xo, v);
    }
}

/* acc[j] += sum over n4 groups: xq . (w[j * stride ...] + w_off), rows j = 0..3 (SMLAD). */
static inline void fm_dsp_mac4(const int16x2_t *xq, const int8_t *w, int32_t stride, int32_t n4, int32_t w_off,
                               int32_t acc[4]) {
    const int8_t *w0 = w;
    const int8_t *w2 = w + 2 * stride;
    const int16x2_t *end = xq + 2 * n4;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    if (w_off == 0) {
        while (xq != end) {
            const int16x2_t xa = xq[0];
            const int16x2_t xb = xq[1];
            uint32_t v = fm_dsp_ld4(w0);
            a0 = __smlad(xa, __sxtb16((int8x4_t)v), a0);
            a0 = __smlad(xb, fm_dsp_hi0(v), a0);
            v = fm_dsp_ld4(w0 + stride);
            a1 = __smlad(xa, __sxtb16((int8x4_t)v), a1);
            a1 = __smlad(xb, fm_dsp_hi0(v), a1);
            v = fm_dsp_ld4(w2);
            a2 = __smlad(xa, __sxtb16((int8x4_t)v), a2);
            a2 = __smlad(xb, fm_dsp_hi0(v), a2);
            v = fm_dsp_ld4(w2 + stride);
            a3 = __smlad(xa, __sxtb16((int8x4_t)v), a3);
            a3 = __smlad(xb, fm_dsp_hi0(v), a3);
            xq += 2;
            w0 += 4;
            w2 += 4;
        }
    } else {
        const int16x2_t wo = fm_dsp_pair(w_off);
        while (xq != end) {
            const int16x2_t xa = xq[0];
            const int16x2_t xb = xq[1];
            uint32_t v = fm_dsp_ld4(w0);
            a0 = __smlad(xa, __sxtab16(wo, (int8x4_t)v), a0);
            a0 = __smlad(xb, fm_dsp_hi(wo, v), a0);
            v = fm_dsp_ld4(w0 + stride);
            a1 = __smlad(xa, __sxtab16(wo, (int8x4_t)v), a1);
            a1 = __smlad(xb, fm_dsp_hi(wo, v), a1);
            v = fm_dsp_ld4(w2);
            a2 = __smlad(xa, __sxtab16(wo, (int8x4_t)v), a2);
            a2 = __smlad(xb, fm_dsp_hi(wo, v), a2);
            v = fm_dsp_ld4(w2 + stride);
            a3 = __smlad(xa, __sxtab16(wo, (int8x4_t)v), a3);
            a3 = __smlad(xb, fm_dsp_hi(wo, v), a3);
            xq += 2;
            w0 += 4;
            w2 += 4;
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* acc + sum over n4 groups: xq . (w + w_off) for one row. */
static inline int32_t fm_dsp_mac1(const int16x2_t *xq, const int8_t *w, int32_t n4, int32_t w_off, int32_t acc) {
    const int16x2_t wo = fm_dsp_pair(w_off);
    int32_t i;
    for (i = 0; i < n4; ++i) {
        const uint32_t v = fm_dsp_ld4(w + 4 * i);
        acc = __smlad(xq[2 * i], __sxtab16(wo, (int8x4_t)v), acc);
        acc = __smlad(xq[2 * i + 1], fm_dsp_hi(wo, v), acc);
    }
    return acc;
}

/* Accumulator plus bias (int32 saturating, as the portable kernels), requantized for channel ch. */
static inline int32_t fm_dsp_finish(int32_t acc, const int32_t *bias, const fm_requant_t *rq, int32_t ch) {
    if (bias != 0) acc = fm_sat_add32(acc, bias[ch]);
    return fm_requant(acc, rq, ch);
}

/* 1 when fm_requant is non-decreasing in the accumulator for channel ch (multiplier or scale >= 0),
 * so max(requant(a), requant(b)) == requant(max(a, b)); corrupted constants give 0. */
static inline int fm_dsp_monotonic(const fm_requant_t *rq, int32_t ch) {
    const int32_t i = rq->per_channel ? ch : 0;
    if (rq->mult != 0) return rq->mult[i] >= 0;
    return rq->scale != 0 && rq->scale[i] >= 0.0f;
}

#endif /* FM_DSP_H */
