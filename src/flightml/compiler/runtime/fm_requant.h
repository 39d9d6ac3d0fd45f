/* flightml runtime: THE requantization rules in C (mirror of flightml/compiler/qparams.py, tested
 * against it). Hand-written, C99. An int32 accumulator becomes an int8 value in [act_min, act_max].
 *
 * fixedpoint (TFLM/CMSIS-NN single rounding, integers only):
 *   y = floor((acc * mult + 2^(30 - shift)) / 2^(31 - shift)) + zp, mult in [2^30, 2^31) or 0,
 *   shift in [-31, 30].
 * ort-exact (ONNX Runtime / MLAS, float32 only, needs IEEE-754 binary32 without excess precision):
 *   y = round_half_even(clamp((float)acc * scale, act_min - zp, act_max - zp)) + zp.
 *
 * model.c defines fm_requant() for the mode it was compiled for; kernels call only fm_requant().
 */
#ifndef FM_REQUANT_H
#define FM_REQUANT_H

#include <stdint.h>

typedef struct {
    const int32_t *mult;  /* fixedpoint: multipliers per output channel (NULL in ort-exact) */
    const int32_t *shift; /* fixedpoint: shifts per output channel, [-31, 30] (NULL in ort-exact) */
    const float *scale;   /* ort-exact: float32 scales per output channel (NULL in fixedpoint) */
    int32_t per_channel;  /* 1: index the arrays by output channel; 0: use element 0 */
    int32_t out_zp;       /* output zero point, [-128, 127] */
    int32_t act_min;      /* clamp low, -128 <= act_min <= act_max (fused Relu/Clip) */
    int32_t act_max;      /* clamp high, act_max <= 127 */
} fm_requant_t;

/* Requantize `acc` for output channel `ch` (defined in model.c for the compiled mode). */
int32_t fm_requant(int32_t acc, const fm_requant_t *rq, int32_t ch);

/* a + b saturated to int32 (bias addition: stays defined even with corrupted constants). */
static inline int32_t fm_sat_add32(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a + (int64_t)b;
    if (s > INT32_MAX) return INT32_MAX;
    if (s < INT32_MIN) return INT32_MIN;
    return (int32_t)s;
}

/* Arithmetic (floor) right shift of a signed 64-bit value, 0 <= n <= 62, without implementation-defined behaviour. */
static inline int64_t fm_asr64(int64_t v, int32_t n) {
    return v >= 0 ? (v >> n) : -(((-v) - 1) >> n) - 1;
}

static inline int32_t fm_clamp32(int64_t v, int32_t lo, int32_t hi) {
    if (v < lo) return lo;
    if (v > hi) return hi;
    return (int32_t)v;
}

static inline int32_t fm_rq_fixedpoint(int32_t acc, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
    int32_t total = 31 - shift;
    int64_t v;
    if (total < 1) total = 1;   /* legal shifts never reach these guards; corrupted ones stay defined */
    if (total > 62) total = 62;
    v = (int64_t)acc * (int64_t)mult + ((int64_t)1 << (total - 1));
    return fm_clamp32(fm_asr64(v, total) + zp, lo, hi);
}

static inline int32_t fm_rq_ort_exact(int32_t acc, float scale, int32_t zp, int32_t lo, int32_t hi) {
    const float flo = (float)(lo - zp);
    const float fhi = (float)(hi - zp);
    float f = (float)acc * scale;
    if (!(f >= flo)) f = flo; /* also maps NaN (corrupted scale) to the low bound */
    if (f > fhi) f = fhi;
    f = (f + 12582912.0f) - 12582912.0f; /* 1.5 * 2^23: round half to even for |f| < 2^22 */
    return (int32_t)f + zp;
}

#endif /* FM_REQUANT_H */
