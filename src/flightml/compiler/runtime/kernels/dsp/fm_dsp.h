/* flightml DSP kernel helpers (Cortex-M4/M7/M33 DSP extension through ACLE intrinsics).
 * Hand-written, C99 + arm_acle.h. The CMSIS-NN technique: int8 values are widened to 16-bit lanes
 * with their offset added (SXTAB16 takes bytes 0 and 2 of a word, and bytes 1 and 3 in its ROR #8
 * form), then SMLAD does two 16 x 16 multiply-accumulates per instruction. Activations are widened
 * once into a scratch buffer (lane order: per group of four values, (x0, x2) then (x1, x3)) and
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

#define FM_DSP_CHUNK 256 /* reduction values widened per pass (multiple of 4): up to 512 B of scratch */
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

/* The 4-row loop for symmetric weights, four groups per iteration, xq .. end (4 int16 per group): rows 1, 3
 * addressed from rows 0 and 2, post-incremented loads; `lead` = (number of groups) & 3 groups first, by
 * entering the loop at its (4 - lead)th group. Written out in assembly because gcc 12 spills the end
 * pointer in this loop (or, unrolled, copies pointers), about 20% more instructions; the memory clobber
 * orders it after the widening stores. The end pointer is read from memory once per iteration: 12
 * registers, which every core's register allocation finds (13 failed on cortex-m7 with the FPU ABI).
 *
 * The 2 x 2 loop (fm_dsp_mac2x2_fours), same conventions: weight rows w and w + stride against two
 * widened columns, xq and xq + FM_DSP_COLB; each weight word widened once serves both columns and each
 * column pair both rows (16 MACs in 17 instructions: column B is loaded twice, to stay at 12 registers).
 * acc = {row 0 column A, row 0 column B, row 1 column A, row 1 column B}. */
#define FM_DSP_COLB 256 /* int16 from column A to column B in the 2 x 2 loop (ldrd reaches 1020 bytes) */
#if defined(__OPTIMIZE__)
static inline void fm_dsp_mac4_fours(const int16_t *xq, const int16_t *end, int32_t lead, const int8_t *w0,
                                     const int8_t *w2, int32_t stride, int32_t *a0, int32_t *a1, int32_t *a2,
                                     int32_t *a3) {
    int32_t r0 = *a0, r1 = *a1, r2 = *a2, r3 = *a3;
    int32_t xa, xb, v, t;
#define FM_DSP_ROW(ld, acc)                  \
    ld "\n\t"                                \
    "sxtb16 %[t], %[v], ror #8\n\t"          \
    "sxtb16 %[v], %[v]\n\t"                  \
    "smlad " acc ", %[xa], %[v], " acc "\n\t" \
    "smlad " acc ", %[xb], %[t], " acc "\n\t"
#define FM_DSP_GROUP                                                  \
    "ldrd %[xa], %[xb], [%[xq]], #8\n\t"                              \
    FM_DSP_ROW("ldr %[v], [%[w0], %[st]]", "%[r1]")                   \
    FM_DSP_ROW("ldr %[v], [%[w0]], #4", "%[r0]")                      \
    FM_DSP_ROW("ldr %[v], [%[w2], %[st]]", "%[r3]")                   \
    FM_DSP_ROW("ldr %[v], [%[w2]], #4", "%[r2]")
#define FM_DSP_LEAD                  \
    "ldr %[v], %[lead]\n\t"          \
    "cmp %[v], #2\n\t"               \
    "beq 3f\n\t"                     \
    "bhi 2f\n\t"                     \
    "cmp %[v], #1\n\t"               \
    "beq 4f\n"
    __asm__(FM_DSP_LEAD "1:\n\t" FM_DSP_GROUP "2:\n\t" FM_DSP_GROUP "3:\n\t" FM_DSP_GROUP "4:\n\t" FM_DSP_GROUP
            "ldr %[v], %[end]\n\t"
            "cmp %[xq], %[v]\n\t"
            "bne 1b"
            : [r0] "+r"(r0), [r1] "+r"(r1), [r2] "+r"(r2), [r3] "+r"(r3), [xq] "+r"(xq), [w0] "+r"(w0),
              [w2] "+r"(w2), [xa] "=&r"(xa), [xb] "=&r"(xb), [v] "=&r"(v), [t] "=&r"(t)
            : [st] "r"(stride), [end] "m"(end), [lead] "m"(lead)
            : "cc", "memory");
#undef FM_DSP_GROUP
#undef FM_DSP_ROW
    *a0 = r0;
    *a1 = r1;
    *a2 = r2;
    *a3 = r3;
}

static inline void fm_dsp_mac2x2_fours(const int16_t *xq, const int16_t *end, int32_t lead, const int8_t *w,
                                       int32_t stride, int32_t acc[4]) {
    int32_t r0 = acc[0], r1 = acc[1], r2 = acc[2], r3 = acc[3];
    int32_t xa, xb, v, t;
#define FM_DSP_GROUP                                  \
    "ldr %[v], [%[w], %[st]]\n\t"                     \
    "sxtb16 %[t], %[v], ror #8\n\t"                   \
    "sxtb16 %[v], %[v]\n\t"                           \
    "ldrd %[xa], %[xb], [%[xq], %[ob]]\n\t"           \
    "smlad %[r3], %[xa], %[v], %[r3]\n\t"             \
    "smlad %[r3], %[xb], %[t], %[r3]\n\t"             \
    "ldrd %[xa], %[xb], [%[xq]], #8\n\t"              \
    "smlad %[r2], %[xa], %[v], %[r2]\n\t"             \
    "smlad %[r2], %[xb], %[t], %[r2]\n\t"             \
    "ldr %[v], [%[w]], #4\n\t"                        \
    "sxtb16 %[t], %[v], ror #8\n\t"                   \
    "sxtb16 %[v], %[v]\n\t"                           \
    "smlad %[r0], %[xa], %[v], %[r0]\n\t"             \
    "smlad %[r0], %[xb], %[t], %[r0]\n\t"             \
    "ldrd %[xa], %[xb], [%[xq], %[ob8]]\n\t"          \
    "smlad %[r1], %[xa], %[v], %[r1]\n\t"             \
    "smlad %[r1], %[xb], %[t], %[r1]\n\t"
    __asm__(FM_DSP_LEAD "1:\n\t" FM_DSP_GROUP "2:\n\t" FM_DSP_GROUP "3:\n\t" FM_DSP_GROUP "4:\n\t" FM_DSP_GROUP
            "cmp %[xq], %[end]\n\t"
            "bne 1b"
            : [r0] "+r"(r0), [r1] "+r"(r1), [r2] "+r"(r2), [r3] "+r"(r3), [xq] "+r"(xq), [w] "+r"(w),
              [xa] "=&r"(xa), [xb] "=&r"(xb), [v] "=&r"(v), [t] "=&r"(t)
            : [st] "r"(stride), [end] "r"(end), [lead] "m"(lead), [ob] "i"(2 * FM_DSP_COLB),
              [ob8] "i"(2 * FM_DSP_COLB - 8)
            : "cc", "memory");
#undef FM_DSP_GROUP
#undef FM_DSP_LEAD
    acc[0] = r0;
    acc[1] = r1;
    acc[2] = r2;
    acc[3] = r3;
}
#else /* -O0 keeps a frame pointer: too few registers for the asm (12); the same sums in C */
/* One group: acc + xq[0..3] . widened weight word w. */
static inline int32_t fm_dsp_group(const int16_t *xq, uint32_t w, int32_t acc) {
    return __smlad(fm_dsp_ld2(xq + 2), fm_dsp_hi0(w), __smlad(fm_dsp_ld2(xq), __sxtb16((int8x4_t)w), acc));
}

static inline void fm_dsp_mac4_fours(const int16_t *xq, const int16_t *end, int32_t lead, const int8_t *w0,
                                     const int8_t *w2, int32_t stride, int32_t *a0, int32_t *a1, int32_t *a2,
                                     int32_t *a3) {
    (void)lead;
    for (; xq != end; xq += 4, w0 += 4, w2 += 4) {
        *a0 = fm_dsp_group(xq, fm_dsp_ld4(w0), *a0);
        *a1 = fm_dsp_group(xq, fm_dsp_ld4(w0 + stride), *a1);
        *a2 = fm_dsp_group(xq, fm_dsp_ld4(w2), *a2);
        *a3 = fm_dsp_group(xq, fm_dsp_ld4(w2 + stride), *a3);
    }
}

static inline void fm_dsp_mac2x2_fours(const int16_t *xq, const int16_t *end, int32_t lead, const int8_t *w,
                                       int32_t stride, int32_t acc[4]) {
    (void)lead;
    for (; xq != end; xq += 4, w += 4) {
        acc[0] = fm_dsp_group(xq, fm_dsp_ld4(w), acc[0]);
        acc[1] = fm_dsp_group(xq + FM_DSP_COLB, fm_dsp_ld4(w), acc[1]);
        acc[2] = fm_dsp_group(xq, fm_dsp_ld4(w + stride), acc[2]);
        acc[3] = fm_dsp_group(xq + FM_DSP_COLB, fm_dsp_ld4(w + stride), acc[3]);
    }
}
#endif

/* acc += rows w, w + stride (n4 groups each, weights + w_off) against columns xq and xq + FM_DSP_COLB:
 * acc = {row 0 column A, row 0 column B, row 1 column A, row 1 column B}. */
static inline void fm_dsp_mac2x2(const int16_t *xq, const int8_t *w, int32_t stride, int32_t n4, int32_t w_off,
                                 int32_t acc[4]) {
    const int16x2_t wo = fm_dsp_pair(w_off);
    const int16_t *end = xq + 4 * n4;
    if (w_off == 0) { /* symmetric weights (the usual case): plain SXTB16 */
        if (n4 > 0) fm_dsp_mac2x2_fours(xq, end, n4 & 3, w, stride, acc);
        return;
    }
    for (; xq != end; xq += 4, w += 4) {
        const uint32_t v0 = fm_dsp_ld4(w), v1 = fm_dsp_ld4(w + stride);
        const int16x2_t a0 = fm_dsp_ld2(xq), a1 = fm_dsp_ld2(xq + 2);
        const int16x2_t b0 = fm_dsp_ld2(xq + FM_DSP_COLB), b1 = fm_dsp_ld2(xq + FM_DSP_COLB + 2);
        acc[0] = __smlad(a1, fm_dsp_hi(wo, v0), __smlad(a0, fm_dsp_wlo(wo, v0), acc[0]));
        acc[1] = __smlad(b1, fm_dsp_hi(wo, v0), __smlad(b0, fm_dsp_wlo(wo, v0), acc[1]));
        acc[2] = __smlad(a1, fm_dsp_hi(wo, v1), __smlad(a0, fm_dsp_wlo(wo, v1), acc[2]));
        acc[3] = __smlad(b1, fm_dsp_hi(wo, v1), __smlad(b0, fm_dsp_wlo(wo, v1), acc[3]));
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
    if (w_off == 0 && xq != end) { /* symmetric weights (the usual case): plain SXTB16 */
        fm_dsp_mac4_fours(xq, end, n4 & 3, w0, w2, stride, &a0, &a1, &a2, &a3);
        xq = end;
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

/* Sum of x[0 .. n): USADA8 on the values + 128 (XOR 0x80 per byte), eight at a time. */
static inline int32_t fm_dsp_sum8(const int8_t *x, int32_t n) {
    uint32_t s = 0u, t = 0u;
    int32_t i;
    for (i = 0; i + 8 <= n; i += 8) {
        s = __usada8(fm_dsp_ld4(x + i) ^ 0x80808080u, 0u, s);
        t = __usada8(fm_dsp_ld4(x + i + 4) ^ 0x80808080u, 0u, t);
    }
    for (; i < n; ++i) s += (uint32_t)(x[i] + 128);
    return (int32_t)(s + t) - 128 * n;
}

/* Sum of the valid positions of pooling window (oh, ow) of plane x and their number (*count), for
 * windows contiguous along w (dil_w == 1): each window row one run; when the runs are whole rows that
 * follow each other (dil_h == 1), one run. */
static inline int32_t fm_dsp_window_sum(const fm_pool_params_t *p, const int8_t *x, int32_t oh, int32_t ow,
                                        int32_t *count) {
    const int32_t ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left, in_w = p->in_w;
    const int32_t w_lo = iw0 > 0 ? iw0 : 0, w_hi = iw0 + p->k_w < in_w ? iw0 + p->k_w : in_w;
    int32_t kh, sum = 0, rows = 0;
    if (w_hi <= w_lo) {
        *count = 0;
        return 0;
    }
    if (p->dil_h == 1 && w_lo == 0 && w_hi == in_w) { /* whole rows: one run */
        const int32_t h_lo = ih0 > 0 ? ih0 : 0, h_hi = ih0 + p->k_h < p->in_h ? ih0 + p->k_h : p->in_h;
        rows = h_hi > h_lo ? h_hi - h_lo : 0;
        *count = rows * in_w;
        return fm_dsp_sum8(x + h_lo * in_w, rows * in_w);
    }
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t ih = ih0 + kh * p->dil_h;
        if (ih < 0 || ih >= p->in_h) continue;
        sum += fm_dsp_sum8(x + ih * in_w + w_lo, w_hi - w_lo);
        ++rows;
    }
    *count = rows * (w_hi - w_lo);
    return sum;
}

/* 1 when the constant arrays hold a fixedpoint multiplier at i: in [2^30, 2^31) or 0. The kernels do
 * not know the compiled mode; ort-int uses the same arrays with mantissas in [2^23, 2^24) (and
 * ort-exact has none), so only these values take the inline fixed-point rules. */
static inline int fm_dsp_fixedpoint(const fm_requant_t *rq, int32_t i) {
    return rq->mult != 0 && (rq->mult[i] == 0 || rq->mult[i] >= 0x40000000);
}

/* The int8 rule, for the usual case (fixedpoint constants, shift in [-23, -2], clamp [-128, 127]):
 * with t = 31 - shift,
 *   clamp(floor((acc * mult + 2^(t-1)) / 2^t) + zp) == SSAT8((floor(acc * mult / 2^32) + add) >> (t - 32)),
 *   add = 2^(t-33) + zp * 2^(t-32)
 * (nested floor divisions by powers of two compose; zp * 2^(t-32) is a multiple of the divisor): one
 * SMMLA, one shift, one SSAT. |floor(acc * mult / 2^32)| <= 2^30 and |add| < 2^29 + 2^21 for
 * |zp| <= 128 and t - 32 <= 22, so nothing overflows. The multiplier is >= 0: the rule is
 * non-decreasing in acc, so max(rq(a), rq(b)) == rq(max(a, b)). */
typedef struct {
    int32_t mult, add, rshift;
} fm_dsp_rq8_t;

/* 1 and the constants of channel ch when the int8 rule applies to it. */
static inline int fm_dsp_rq8_load(const fm_requant_t *rq, int32_t ch, fm_dsp_rq8_t *q) {
    const int32_t i = rq->per_channel ? ch : 0;
    if (!fm_dsp_fixedpoint(rq, i) || rq->shift[i] > -2 || rq->shift[i] < -23) return 0;
    if (rq->act_min != -128 || rq->act_max != 127 || rq->out_zp < -128 || rq->out_zp > 127) return 0;
    q->mult = rq->mult[i];
    q->rshift = -1 - rq->shift[i];
    q->add = (int32_t)(1u << (q->rshift - 1)) + rq->out_zp * (int32_t)(1u << q->rshift);
    return 1;
}

/* SMMLA: acc + floor(a * b / 2^32) (no ACLE intrinsic; gcc 12 emits SMULL + ADD for the C form). */
static inline int32_t fm_dsp_smmla(int32_t a, int32_t b, int32_t acc) {
    int32_t r;
    __asm__("smmla %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* The int8 rule. gcc 12's __ssat macro assigns its builtin's result with a sign conversion of its own,
 * hence the local diagnostic pragma (-Wconversion builds stay clean). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
static inline int8_t fm_dsp_rq8(int32_t acc, int32_t mult, int32_t add, int32_t rshift) {
    return (int8_t)__ssat(fm_dsp_smmla(acc, mult, add) >> rshift, 8);
}

/* TFLite's double rounding (the tflm mode), for the usual case (mult stored negated: M = -mult in
 * [2^30, 2^31); shift in [-22, -1]; clamp [-128, 127]), with r = -shift (no left shift):
 *   SaturatingRoundingDoublingHighMul(acc, M) = floor((2 acc M + 2^31) / 2^32) = SMMULR(2 acc, M) for
 *   |acc| < 2^30 (the halfway case rounds up for both signs: for ab < 0 gemmlowp's nudge 1 - 2^30 and
 *   division toward zero give the same, as CMSIS-NN's arm_nn_doubling_high_mult_no_sat); no saturation
 *   (M < 2^31). RoundingDivideByPOT(h, r) + zp = floor((h + 2^(r-1) - (h < 0)) / 2^r) + zp
 *   = (h + add - (h < 0)) >> r, add = 2^(r-1) + zp * 2^r (half away from zero; r >= 1).
 * |h| < 2^30 and |add| < 2^21 + 2^29, so nothing overflows. Non-decreasing in acc. */
static inline int fm_dsp_rqt_load(const fm_requant_t *rq, int32_t ch, fm_dsp_rq8_t *q) {
    const int32_t i = rq->per_channel ? ch : 0;
    if (rq->mult == 0 || rq->shift == 0 || rq->mult[i] > -0x40000000 || rq->shift[i] > -1 || rq->shift[i] < -22) {
        return 0;
    }
    if (rq->act_min != -128 || rq->act_max != 127 || rq->out_zp < -128 || rq->out_zp > 127) return 0;
    q->mult = -rq->mult[i];
    q->rshift = -rq->shift[i];
    q->add = (int32_t)(1u << (q->rshift - 1)) + rq->out_zp * (int32_t)(1u << q->rshift);
    return 1;
}

/* SMMULR: round(a * b / 2^32), halfway up. */
static inline int32_t fm_dsp_smmulr(int32_t a, int32_t b) {
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* The double-rounding int8 rule; |acc| < 2^30. */
static inline int8_t fm_dsp_rqt(int32_t acc, int32_t mult, int32_t add, int32_t rshift) {
    const int32_t h = fm_dsp_smmulr(acc * 2, mult);
    return (int8_t)__ssat((h + add - (int32_t)((uint32_t)h >> 31)) >> rshift, 8);
}
#pragma GCC diagnostic pop

#endif /* FM_DSP_H */
