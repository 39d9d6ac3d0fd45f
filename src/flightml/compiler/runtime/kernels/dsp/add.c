/* flightml DSP kernels: elementwise Add with requantization. Hand-written, C99 + ACLE. Same contract
 * and results as kernels/portable/add.c.
 *
 * The fixedpoint rule (fm_rq_add_fixedpoint) with 32-bit steps where its constants allow (the usual
 * case; every other case calls the mode's fm_requant_add per element, as the portable kernel does):
 * - each input, shift in [-29, 1]: with d = x - zp in [-255, 255] and k = 11 - shift in [10, 40], the
 *   rule floor((d * 2^20 * mult + 2^(30 - shift)) / 2^(31 - shift)) equals
 *   floor((d * mult + 2^(k - 1)) / 2^k) (the 2^20 factor divides the rounding constant), and that equals
 *   (SMMLA(d << 23, mult, 2^(k - 10))) >> (k - 9) (SMMLA gives floor(d * mult / 2^9) + the constant;
 *   nested floor divisions by powers of two compose). |d * mult / 2^9| < 255 * 2^22 and the constant is
 *   at most 2^30: no overflow, and the result needs no int32 clamp;
 * - the sum of both (below 2^31 in magnitude: no saturation);
 * - the output: the int8 rule of fm_dsp.h (SMMLA, shift, SSAT) when its shift is in [-23, -2], then the
 *   activation clamp.
 * The tflm rule (fm_requant_add of requant/tflm.c: multipliers stored negated, each product with TFLite's
 * double rounding), shifts in [-30, 0] for the inputs and [-22, -1] for the output:
 * - each input: SaturatingRoundingDoublingHighMul(d * 2^20, M) = floor((d * M + 2^10) / 2^11) =
 *   SMMULR(d << 21, M) (|d << 21| < 2^29: no saturation), then RoundingDivideByPOT by r = -shift as in
 *   fm_dsp_rqt ((h + 2^(r-1) - (h < 0)) >> r; r = 0 leaves h: the (h < 0) term masked off);
 * - the sum (|sum| < 2^29) through fm_dsp_rqt, then the activation clamp.
 * Add layers exist only in the fixedpoint, tflm and ort-exact modes (the compiler rejects them in
 * ort-int): ort-exact has no mult array, so the constants present are fixed-point or tflm ones. */
#include "fm_dsp.h"

typedef struct {
    int32_t mult[2], add[2], rshift[2], zp[2]; /* inputs a, b */
    int32_t out_mult, out_add, out_rshift, lo, hi;
} fm_add_fast_t;

/* 1 and the constants when the 32-bit steps apply. */
static int fm_add_fast(const fm_add_requant_t *rq, fm_add_fast_t *k) {
    int32_t i;
    if (rq->mult == 0 || rq->shift == 0 || rq->mult[2] < 0 || rq->shift[2] > -2 || rq->shift[2] < -23) return 0;
    for (i = 0; i < 2; ++i) {
        if (rq->mult[i] < 0 || rq->shift[i] > 1 || rq->shift[i] < -29) return 0;
        k->mult[i] = rq->mult[i];
        k->rshift[i] = 2 - rq->shift[i]; /* k - 9 */
        k->add[i] = (int32_t)(1u << (k->rshift[i] - 1)); /* 2^(k - 10) */
        k->zp[i] = i == 0 ? rq->a_zp : rq->b_zp;
    }
    k->out_mult = rq->mult[2];
    k->out_rshift = -1 - rq->shift[2];
    k->out_add = (int32_t)(1u << (k->out_rshift - 1)) + rq->out_zp * (int32_t)(1u << k->out_rshift);
    k->lo = rq->act_min;
    k->hi = rq->act_max;
    return rq->out_zp >= -128 && rq->out_zp <= 127;
}

/* out[i] for i < n from a[i], b[i] (broadcast: a[i % a_n], b[i % b_n]); the constants in locals (the int8
 * stores may alias *k). */
static inline __attribute__((always_inline)) void fm_add_loop(const int8_t *a, const int8_t *b, int32_t n,
                                                              int32_t a_n, int32_t b_n, const fm_add_fast_t *k,
                                                              int broadcast, int8_t *out) {
    const int32_t ma = k->mult[0], da = k->add[0], sa = k->rshift[0], za = k->zp[0] * 8388608;
    const int32_t mb = k->mult[1], db = k->add[1], sb = k->rshift[1], zb = k->zp[1] * 8388608;
    const int32_t mo = k->out_mult, dout = k->out_add, so = k->out_rshift, lo = k->lo, hi = k->hi;
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t x = broadcast ? a[i % a_n] : a[i], y = broadcast ? b[i % b_n] : b[i];
        const int32_t sum = (fm_dsp_smmla(x * 8388608 - za, ma, da) >> sa) + /* d << 23 */
                            (fm_dsp_smmla(y * 8388608 - zb, mb, db) >> sb);
        const int32_t v = fm_dsp_rq8(sum, mo, dout, so);
        out[i] = (int8_t)(v < lo ? lo : v > hi ? hi : v);
    }
}

/* The tflm constants: per input M, 2^(r-1) (0 when r = 0), r, the (h < 0) mask and -zp << 21. */
typedef struct {
    int32_t mult[2], add[2], rshift[2], neg[2], zp[2];
    int32_t out_mult, out_add, out_rshift, lo, hi;
} fm_add_tflm_t;

/* 1 and the constants when the tflm rule's 32-bit steps apply. */
static int fm_add_tflm(const fm_add_requant_t *rq, fm_add_tflm_t *k) {
    fm_dsp_rq8_t q;
    fm_requant_t out = {0, 0, 0, 0, 0, -128, 127};
    int32_t i;
    if (rq->mult == 0 || rq->shift == 0 || rq->out_zp < -128 || rq->out_zp > 127) return 0;
    for (i = 0; i < 2; ++i) {
        if (rq->mult[i] > 0 || rq->mult[i] == INT32_MIN || rq->shift[i] > 0 || rq->shift[i] < -30) return 0;
        k->mult[i] = -rq->mult[i];
        k->rshift[i] = -rq->shift[i];
        k->add[i] = k->rshift[i] > 0 ? (int32_t)(1u << (k->rshift[i] - 1)) : 0;
        k->neg[i] = k->rshift[i] > 0 ? 1 : 0;
        k->zp[i] = -(i == 0 ? rq->a_zp : rq->b_zp) * 2097152;
    }
    out.mult = rq->mult + 2;
    out.shift = rq->shift + 2;
    out.out_zp = rq->out_zp;
    if (!fm_dsp_rqt_load(&out, 0, &q)) return 0;
    k->out_mult = q.mult;
    k->out_add = q.add;
    k->out_rshift = q.rshift;
    k->lo = rq->act_min;
    k->hi = rq->act_max;
    return 1;
}

/* One input's tflm contribution: RoundingDivideByPOT(SMMULR((x - zp) << 21, M), r). */
static inline __attribute__((always_inline)) int32_t fm_add_tflm_in(int32_t x, int32_t zp, int32_t mult, int32_t add,
                                                                    int32_t neg, int32_t rshift) {
    const int32_t h = fm_dsp_smmulr(zp + x * 2097152, mult);
    return (h + add - (int32_t)(((uint32_t)h >> 31) & (uint32_t)neg)) >> rshift;
}

/* out[i] for i < n (broadcast: a[i % a_n], b[i % b_n]) by the tflm rule. */
static inline __attribute__((always_inline)) void fm_add_tflm_loop(const int8_t *a, const int8_t *b, int32_t n,
                                                                   int32_t a_n, int32_t b_n, const fm_add_tflm_t *k,
                                                                   int broadcast, int8_t *out) {
    const int32_t lo = k->lo, hi = k->hi;
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t x = broadcast ? a[i % a_n] : a[i], y = broadcast ? b[i % b_n] : b[i];
        const int32_t sum = fm_add_tflm_in(x, k->zp[0], k->mult[0], k->add[0], k->neg[0], k->rshift[0]) +
                            fm_add_tflm_in(y, k->zp[1], k->mult[1], k->add[1], k->neg[1], k->rshift[1]);
        const int32_t v = fm_dsp_rqt(sum, k->out_mult, k->out_add, k->out_rshift);
        out[i] = (int8_t)(v < lo ? lo : v > hi ? hi : v);
    }
}

/* out[i] for i < n by the fixedpoint rule (k) or, when t is not NULL, the tflm rule (t); residual
 * connections (same sizes) without the modulo. */
static __attribute__((noinline)) void fm_add_run(const int8_t *a, const int8_t *b, int32_t n, int32_t a_n,
                                                 int32_t b_n, const fm_add_fast_t *k, const fm_add_tflm_t *t,
                                                 int8_t *out) {
    const int residual = a_n == n && b_n == n;
    if (t != 0 && residual) {
        fm_add_tflm_loop(a, b, n, n, n, t, 0, out);
    } else if (t != 0) {
        fm_add_tflm_loop(a, b, n, a_n, b_n, t, 1, out);
    } else if (residual) {
        fm_add_loop(a, b, n, n, n, k, 0, out);
    } else {
        fm_add_loop(a, b, n, a_n, b_n, k, 1, out);
    }
}

fm_status_t fm_add_s8(const fm_add_params_t *p, const fm_add_requant_t *rq, const int8_t *a, const int8_t *b,
              int8_t *output) {
    fm_add_fast_t k;
    fm_add_tflm_t t;
    const int32_t n = p != 0 ? p->size : 0;
    int32_t i;
    if (p == 0 || rq == 0 || a == 0 || b == 0 || output == 0) return FM_ERR_NULL;
    if (p->a_size < 1 || p->b_size < 1 || p->size % p->a_size != 0 || p->size % p->b_size != 0) return FM_ERR_PARAM;
    if (fm_add_fast(rq, &k)) {
        fm_add_run(a, b, n, p->a_size, p->b_size, &k, 0, output);
        return FM_OK;
    }
    if (fm_add_tflm(rq, &t)) {
        fm_add_run(a, b, n, p->a_size, p->b_size, &k, &t, output);
        return FM_OK;
    }
    for (i = 0; i < n; ++i) output[i] = (int8_t)fm_requant_add(a[i % p->a_size], b[i % p->b_size], rq);
    return FM_OK;
}
