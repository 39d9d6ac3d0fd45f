/* flightml runtime: THE requantization rules in C (mirror of flightml/compiler/qparams.py, tested
 * against it). Hand-written, C99. An int32 accumulator becomes an int8 value in [act_min, act_max].
 *
 * fixedpoint (TFLM/CMSIS-NN single rounding, integers only):
 *   y = floor((acc * mult + 2^(30 - shift)) / 2^(31 - shift)) + zp, mult in [2^30, 2^31) or 0,
 *   shift in [-31, 30].
 * ort-exact (ONNX Runtime / MLAS, float32 only, needs IEEE-754 binary32 without excess precision):
 *   y = round_half_even(clamp((float)acc * scale, act_min - zp, act_max - zp)) + zp.
 * tflm (TensorFlow Lite's default double rounding, gemmlowp): the fixedpoint constants with mult stored
 *   negated; x * 2^max(shift, 0) saturated to int32, SaturatingRoundingDoublingHighMul by mult (round half
 *   away from zero at 2^31), RoundingDivideByPOT by max(-shift, 0) (round half away from zero).
 * ort-int (the same results with integers alone, for cores without an FPU): mult/shift hold the float32
 *   scale as mantissa in [2^23, 2^24) and exponent; every rounding step of ort-exact is done on integers.
 *
 * fm_requant.c (one per mode, requant/<mode>.c copied into the kernel set) defines fm_requant() and
 * fm_requant_add(), the mode's rules; kernels call only those (and fm_requant_n below, over fm_requant).
 */
#ifndef FM_REQUANT_H
#define FM_REQUANT_H

#include <math.h>
#include <stdint.h>

typedef struct {
    const int32_t *mult;  /* fixedpoint: multipliers per output channel (NULL in ort-exact) */
    const int8_t *shift;  /* fixedpoint: shifts per output channel, [-31, 30]; ort-int: exponents
                           * (NULL in ort-exact). int8: a quarter of int32's flash */
    const float *scale;   /* ort-exact: float32 scales per output channel (NULL in fixedpoint) */
    int32_t per_channel;  /* 1: index the arrays by output channel; 0: use element 0 */
    int32_t out_zp;       /* output zero point, [-128, 127] */
    int32_t act_min;      /* clamp low, -128 <= act_min <= act_max (fused Relu/Clip) */
    int32_t act_max;      /* clamp high, act_max <= 127 */
} fm_requant_t;

/* Requantize `acc` for output channel `ch` (defined in fm_requant.c of the compiled mode). */
int32_t fm_requant(int32_t acc, const fm_requant_t *rq, int32_t ch);

/* a + b saturated to int32 (bias addition: stays defined even with corrupted constants). */
static inline int32_t fm_sat_add32(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a + (int64_t)b;
    if (s > INT32_MAX) return INT32_MAX;
    if (s < INT32_MIN) return INT32_MIN;
    return (int32_t)s;
}

/* dst[i] = fm_requant(fm_sat_add32(acc[i], bias[ch + i * ch_step]), rq, ch + i * ch_step) for i < n
 * (bias may be NULL). ch_step is 0 (n outputs of one channel) or 1 (n consecutive channels). One loop for
 * every mode: the mode's rule is fm_requant (an out-of-line call per output, against many MACs). */
static inline void fm_requant_n(const int32_t *acc, const int32_t *bias, int32_t n, const fm_requant_t *rq, int32_t ch,
                                int32_t ch_step, int8_t *dst) {
    int32_t k;
    for (k = 0; k < n; ++k) {
        const int32_t c = ch + k * ch_step;
        dst[k] = (int8_t)fm_requant(bias != 0 ? fm_sat_add32(acc[k], bias[c]) : acc[k], rq, c);
    }
}

static inline int32_t fm_clamp32(int64_t v, int32_t lo, int32_t hi) {
    if (v < lo) return lo;
    if (v > hi) return hi;
    return (int32_t)v;
}

/* floor((x * mult + 2^(30 - shift)) / 2^(31 - shift)), x in int32 range. Legal shifts give a total shift
 * in [1, 62]; the guards keep corrupted shifts defined. No implementation-defined right shifts. */
static inline int64_t fm_mul_q31(int64_t x, int32_t mult, int32_t shift) {
    const int32_t total = shift > 30 ? 1 : (shift < -31 ? 62 : 31 - shift);
    const int64_t v = x * (int64_t)mult + ((int64_t)1 << (total - 1));
    return v >= 0 ? (v >> total) : ~((~v) >> total);
}

static inline int32_t fm_rq_fixedpoint(int32_t acc, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
    return fm_clamp32(fm_mul_q31(acc, mult, shift) + zp, lo, hi);
}

/* TFLite MultiplyByQuantizedMultiplier (double rounding) of x by mult = -neg_mult, shift in [-31, 30]
 * (corrupted shifts clamped; the int32 saturation keeps a huge left shift defined). */
static inline int32_t fm_mul_tflm(int32_t x, int32_t neg_mult, int32_t shift) {
    const int32_t s = shift > 30 ? 30 : (shift < -31 ? -31 : shift);
    const int64_t mult = -(int64_t)neg_mult;
    const int64_t left = fm_clamp32((int64_t)x * ((int64_t)1 << (s > 0 ? s : 0)), INT32_MIN, INT32_MAX);
    const int64_t ab = left * mult;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    const int64_t t = ab + nudge; /* |t| < 2^62; divided by 2^31 toward zero, without a library call */
    const int64_t high = fm_clamp32(t >= 0 ? (t >> 31) : -((-t) >> 31), INT32_MIN, INT32_MAX);
    const int32_t right = s < 0 ? -s : 0;
    const int64_t mask = ((int64_t)1 << right) - 1;
    const int64_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    const int64_t floor_q = high >= 0 ? (high >> right) : ~((~high) >> right);
    return (int32_t)(floor_q + (((high & mask) > threshold) ? 1 : 0));
}

static inline int32_t fm_rq_tflm(int32_t acc, int32_t neg_mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
    return fm_clamp32((int64_t)fm_mul_tflm(acc, neg_mult, shift) + zp, lo, hi);
}

/* round_half_even(x / 2^k), 1 <= k <= 62 */
static inline uint64_t fm_rne_shift(uint64_t x, int32_t k) {
    const uint64_t q = x >> k;
    const uint64_t rem = x & ((((uint64_t)1) << k) - 1u);
    const uint64_t half = ((uint64_t)1) << (k - 1);
    return q + ((rem > half || (rem == half && (q & 1u) != 0u)) ? 1u : 0u);
}

/* Number of significant bits of x (0 for 0), by binary search. */
static inline int32_t fm_bitlen64(uint64_t x) {
    int32_t n = 0;
    if (x >> 32) { x >>= 32; n += 32; }
    if (x >> 16) { x >>= 16; n += 16; }
    if (x >> 8) { x >>= 8; n += 8; }
    if (x >> 4) { x >>= 4; n += 4; }
    if (x >> 2) { x >>= 2; n += 2; }
    if (x >> 1) { x >>= 1; n += 1; }
    return n + (int32_t)x;
}

static inline int32_t fm_rq_ort_int(int32_t acc, int32_t mant, int32_t exp, int32_t zp, int32_t lo, int32_t hi) {
    uint64_t a = acc < 0 ? (uint64_t)(-(int64_t)acc) : (uint64_t)acc;
    uint64_t p;
    int64_t v;
    int32_t e = exp;
    int32_t nb;
    if (a == 0u || mant <= 0 || exp < -200 || exp > 200) return fm_clamp32(zp, lo, hi); /* corrupted: defined */
    nb = fm_bitlen64(a);
    if (nb > 24) { /* int32 -> float32: 24 significant bits, round half to even */
        a = fm_rne_shift(a, nb - 24);
        e += nb - 24;
    }
    p = a * (uint64_t)mant; /* < 2^49, exact */
    nb = fm_bitlen64(p);
    if (nb > 24) { /* float32 multiply: 24 significant bits, round half to even */
        p = fm_rne_shift(p, nb - 24);
        e += nb - 24;
    }
    if (e >= 10) v = 1048576; /* >= 2^10: saturates below */
    else if (e >= 0) v = (int64_t)(p << e);
    else if (e < -62) v = 0;
    else v = (int64_t)fm_rne_shift(p, -e); /* round half to even to an integer */
    return fm_clamp32((acc < 0 ? -v : v) + zp, lo, hi);
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

/* Add (residual): out = requant(a, b). Constants per mode, three values each (input a, input b, output):
 * fixedpoint: mult/shift (TFLM: inputs << 20, scaled to a common scale, summed, rescaled);
 * ort-exact: scale = {a/out ratio, b/out ratio, fixed part} as ONNX Runtime's QLinearAdd (MLAS AVX2):
 *   out_raw = rint(fmaf(a_raw, r_a, fmaf(b_raw, r_b, fixed))) on raw values (uint8 models: q + 128). */
typedef struct {
    const int32_t *mult;  /* fixedpoint: 3 multipliers (NULL in ort-exact) */
    const int8_t *shift;  /* fixedpoint: 3 shifts (NULL in ort-exact) */
    const float *scale;   /* ort-exact: 3 float32 constants (NULL in fixedpoint) */
    int32_t a_zp, b_zp, out_zp; /* zero points, int8 domain [-128, 127] */
    int32_t raw_offset;   /* 128 for uint8 models, else 0 (ort-exact works on raw values) */
    int32_t act_min, act_max; /* output clamp, int8 domain */
} fm_add_requant_t;

/* One Add output from int8 inputs a, b (defined in fm_requant.c of the compiled mode). */
int32_t fm_requant_add(int32_t a, int32_t b, const fm_add_requant_t *rq);

static inline int32_t fm_rq_add_fixedpoint(int32_t a, int32_t b, const int32_t *mult, const int8_t *shift,
                                           const fm_add_requant_t *rq) {
    const int32_t a0 = fm_clamp32((int64_t)(a - rq->a_zp) * 1048576, INT32_MIN, INT32_MAX); /* << 20 */
    const int32_t b0 = fm_clamp32((int64_t)(b - rq->b_zp) * 1048576, INT32_MIN, INT32_MAX);
    const int32_t a1 = fm_clamp32(fm_mul_q31(a0, mult[0], shift[0]), INT32_MIN, INT32_MAX);
    const int32_t b1 = fm_clamp32(fm_mul_q31(b0, mult[1], shift[1]), INT32_MIN, INT32_MAX);
    const int32_t sum = fm_clamp32((int64_t)a1 + (int64_t)b1, INT32_MIN, INT32_MAX);
    return fm_clamp32(fm_mul_q31(sum, mult[2], shift[2]) + rq->out_zp, rq->act_min, rq->act_max);
}

static inline int32_t fm_rq_add_ort_exact(int32_t a, int32_t b, const float *scale, const fm_add_requant_t *rq) {
    const float flo = (float)(rq->act_min + rq->raw_offset);
    const float fhi = (float)(rq->act_max + rq->raw_offset);
    float v = fmaf((float)(b + rq->raw_offset), scale[1], scale[2]);
    v = fmaf((float)(a + rq->raw_offset), scale[0], v);
    if (!(v >= flo)) v = flo;
    if (v > fhi) v = fhi;
    v = (v + 12582912.0f) - 12582912.0f; /* round half to even */
    return (int32_t)v - rq->raw_offset;
}

#endif /* FM_REQUANT_H */
