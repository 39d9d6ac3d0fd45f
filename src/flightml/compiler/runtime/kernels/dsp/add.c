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

/* One input's fixedpoint contribution: SMMLA((x - zp) << 23, mult, add) >> rshift (zp23 = zp << 23). */
static inline __attribute__((always_inline)) int32_t fm_add_fixed_in(int32_t x, int32_t zp23, int32_t mult,
                                                                     int32_t add, int32_t rshift) {
    return fm_dsp_smmla(x * 8388608 - zp23, mult, add) >> rshift;
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
        const int32_t sum = fm_add_fixed_in(x, za, ma, da, sa) + fm_add_fixed_in(y, zb, mb, db, sb);
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

/* Residual Adds of at least FM_ADD_TABLE_MIN elements first tabulate each input's contribution to the
 * sum by input byte (256 values each, in scratch: 2 x 1 KB), so an element costs two byte loads, two
 * table loads, the sum and the output rule. tflm tables hold twice the contribution (the output rule's
 * doubling, 2 x acc, done once per table entry: |2 x sum| < 2^30). */
#define FM_ADD_TABLE_MIN 256 /* ops/add.py: TABLE_MIN */

/* The tables of inputs a (ta) and b (tb), indexed by the input byte read as unsigned, by the fixedpoint
 * rule (k), each entry times 2^e. */
static void fm_add_tables_fixed(const fm_add_fast_t *k, int32_t e, int32_t *ta, int32_t *tb) {
    const int32_t za = k->zp[0] * 8388608, ma = k->mult[0], da = k->add[0], sa = k->rshift[0];
    const int32_t zb = k->zp[1] * 8388608, mb = k->mult[1], db = k->add[1], sb = k->rshift[1];
    int32_t x;
    for (x = -128; x < 128; ++x) {
        ta[x & 255] = (int32_t)((uint32_t)fm_add_fixed_in(x, za, ma, da, sa) << e);
        tb[x & 255] = (int32_t)((uint32_t)fm_add_fixed_in(x, zb, mb, db, sb) << e);
    }
}

/* The tables by the tflm rule (t), each entry doubled. */
static void fm_add_tables_tflm(const fm_add_tflm_t *t, int32_t *ta, int32_t *tb) {
    int32_t x;
    for (x = -128; x < 128; ++x) {
        ta[x & 255] = 2 * fm_add_tflm_in(x, t->zp[0], t->mult[0], t->add[0], t->neg[0], t->rshift[0]);
        tb[x & 255] = 2 * fm_add_tflm_in(x, t->zp[1], t->mult[1], t->add[1], t->neg[1], t->rshift[1]);
    }
}

/* fm_dsp_rqt on a doubled sum s2 = 2 x acc. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
static inline int32_t fm_add_rqt2(int32_t s2, int32_t mult, int32_t add, int32_t rshift) {
    const int32_t h = fm_dsp_smmulr(s2, mult);
    return __ssat((h + add - (int32_t)((uint32_t)h >> 31)) >> rshift, 8);
}
#pragma GCC diagnostic pop

/* out[i] = rule(ta[a[i]] + tb[b[i]]), i < n: `tflm` and `clamp` (an activation range narrower than int8)
 * constants. */
static inline __attribute__((always_inline)) void fm_add_table_loop(const int8_t *a, const int8_t *b, int32_t n,
                                                                    const int32_t *ta, const int32_t *tb,
                                                                    int32_t mult, int32_t add, int32_t rshift,
                                                                    int32_t lo, int32_t hi, int tflm, int clamp,
                                                                    int8_t *out) {
    const int8_t *end = a + n;
    for (; a != end; ++a, ++b, ++out) {
        const int32_t s = ta[*(const uint8_t *)a] + tb[*(const uint8_t *)b];
        int32_t v = tflm ? fm_add_rqt2(s, mult, add, rshift) : fm_dsp_rq8(s, mult, add, rshift);
        if (clamp) v = v < lo ? lo : v > hi ? hi : v;
        *out = (int8_t)v;
    }
}

/* The usual fixedpoint case, the output's rshift equal to FM_ADD_RSHIFT (the tables scaled by
 * 2^(FM_ADD_RSHIFT - rshift): floor((floor(2^e s mult / 2^32) + 2^e add) / 2^(rshift + e)) equals the rule's
 * floor((floor(s mult / 2^32) + add) / 2^rshift), nested floor divisions composing) and the whole int8
 * range: four elements per iteration, SSAT with the shift built in (8 instructions per element). Written
 * out in assembly: gcc 12 unrolls it with a pointer increment per element. n >= 1. */
#define FM_ADD_RSHIFT 18
#define FM_ADD_STR2(x) #x
#define FM_ADD_STR(x) FM_ADD_STR2(x)
#if defined(__OPTIMIZE__)
#define FM_ADD_LEAD          \
    "cmp %[lead], #2\n\t"    \
    "beq 3f\n\t"             \
    "bhi 2f\n\t"             \
    "cmp %[lead], #1\n\t"    \
    "beq 4f\n"
#define FM_ADD_SUM                          \
    "ldrb %[x], [%[a]], #1\n\t"             \
    "ldrb %[y], [%[b]], #1\n\t"             \
    "ldr %[x], [%[ta], %[x], lsl #2]\n\t"   \
    "ldr %[y], [%[tb], %[y], lsl #2]\n\t"   \
    "add %[x], %[x], %[y]\n\t"
static inline void fm_add_fixed4(const int8_t *a, const int8_t *b, int32_t n, const int32_t *ta, const int32_t *tb,
                                 int32_t mult, int32_t add, int8_t *out) {
    const int8_t *end = a + n;
    const int32_t lead = n & 3;
    int32_t x, y;
#define FM_ADD_ONE                                                  \
    FM_ADD_SUM                                                      \
    "smmla %[x], %[x], %[m], %[d]\n\t"                              \
    "ssat %[x], #8, %[x], asr #" FM_ADD_STR(FM_ADD_RSHIFT) "\n\t"   \
    "strb %[x], [%[o]], #1\n\t"
    __asm__ volatile(FM_ADD_LEAD "1:\n\t" FM_ADD_ONE "2:\n\t" FM_ADD_ONE "3:\n\t" FM_ADD_ONE "4:\n\t" FM_ADD_ONE
                     "cmp %[a], %[end]\n\t"
                     "bne 1b"
                     : [a] "+r"(a), [b] "+r"(b), [o] "+r"(out), [x] "=&r"(x), [y] "=&r"(y)
                     : [ta] "r"(ta), [tb] "r"(tb), [m] "r"(mult), [d] "r"(add), [end] "r"(end), [lead] "r"(lead)
                     : "cc", "memory");
#undef FM_ADD_ONE
}

/* The tflm case with the whole int8 range: SMMLAR(s2, M, add) = h + add, and h < 0 only when s2 < 0,
 * while s2 < 0 with h = 0 (M = 2^30, s2 = -2) leaves (add - 1) >> r = add >> r (add = 2^(r-1) + zp 2^r,
 * r >= 1), so fm_add_rqt2 is SMMLAR, a subtraction of s2's sign bit, the shift and SSAT (10 instructions
 * per element). */
static inline void fm_add_tflm4(const int8_t *a, const int8_t *b, int32_t n, const int32_t *ta, const int32_t *tb,
                                int32_t mult, int32_t add, int32_t rshift, int8_t *out) {
    const int8_t *end = a + n;
    const int32_t lead = n & 3;
    int32_t x, y;
#define FM_ADD_ONE                             \
    FM_ADD_SUM                                 \
    "smmlar %[y], %[x], %[m], %[d]\n\t"        \
    "sub %[y], %[y], %[x], lsr #31\n\t"        \
    "asr %[y], %[y], %[r]\n\t"                 \
    "ssat %[y], #8, %[y]\n\t"                  \
    "strb %[y], [%[o]], #1\n\t"
    __asm__ volatile(FM_ADD_LEAD "1:\n\t" FM_ADD_ONE "2:\n\t" FM_ADD_ONE "3:\n\t" FM_ADD_ONE "4:\n\t" FM_ADD_ONE
                     "cmp %[a], %[end]\n\t"
                     "bne 1b"
                     : [a] "+r"(a), [b] "+r"(b), [o] "+r"(out), [x] "=&r"(x), [y] "=&r"(y)
                     : [ta] "r"(ta), [tb] "r"(tb), [m] "r"(mult), [d] "r"(add), [r] "r"(rshift), [end] "r"(end),
                       [lead] "r"(lead)
                     : "cc", "memory");
#undef FM_ADD_ONE
}
#undef FM_ADD_SUM
#undef FM_ADD_LEAD
#else /* -O0 keeps a frame pointer: the same rules in C */
static inline void fm_add_fixed4(const int8_t *a, const int8_t *b, int32_t n, const int32_t *ta, const int32_t *tb,
                                 int32_t mult, int32_t add, int8_t *out) {
    fm_add_table_loop(a, b, n, ta, tb, mult, add, FM_ADD_RSHIFT, -128, 127, 0, 0, out);
}

static inline void fm_add_tflm4(const int8_t *a, const int8_t *b, int32_t n, const int32_t *ta, const int32_t *tb,
                                int32_t mult, int32_t add, int32_t rshift, int8_t *out) {
    fm_add_table_loop(a, b, n, ta, tb, mult, add, rshift, -128, 127, 1, 0, out);
}
#endif

/* |the larger contribution| of one input by the fixedpoint rule (k, input i): the rule is non-decreasing
 * in x (mult >= 0), so it is at x = -128 or 127. */
static int32_t fm_add_extreme(const fm_add_fast_t *k, int32_t i) {
    const int32_t lo = fm_add_fixed_in(-128, k->zp[i] * 8388608, k->mult[i], k->add[i], k->rshift[i]);
    const int32_t hi = fm_add_fixed_in(127, k->zp[i] * 8388608, k->mult[i], k->add[i], k->rshift[i]);
    return -lo > hi ? -lo : hi;
}

/* The table scale 2^e of fm_add_fixed4 for the fixedpoint constants k (e >= 0: the whole int8 range and
 * the scaled sums below 2^31 in magnitude), or -1 when it does not apply. */
static int32_t fm_add_scale(const fm_add_fast_t *k) {
    const int32_t e = FM_ADD_RSHIFT - k->out_rshift;
    if (e < 0 || k->lo > -128 || k->hi < 127) return -1;
    return ((int64_t)fm_add_extreme(k, 0) + fm_add_extreme(k, 1)) << e <= INT32_MAX ? e : -1;
}

/* The table path (scratch: the two tables) by the fixedpoint rule (k) or, when t is not NULL, the tflm rule. */
static __attribute__((noinline)) void fm_add_table(const int8_t *a, const int8_t *b, int32_t n,
                                                   const fm_add_fast_t *k, const fm_add_tflm_t *t, void *scratch,
                                                   int8_t *out) {
    int32_t *ta = (int32_t *)scratch, *tb = ta + 256;
    const int32_t lo = t != 0 ? t->lo : k->lo, hi = t != 0 ? t->hi : k->hi;
    const int clamp = lo > -128 || hi < 127;
    int32_t e;
    if (t != 0) {
        fm_add_tables_tflm(t, ta, tb);
        if (clamp) {
            fm_add_table_loop(a, b, n, ta, tb, t->out_mult, t->out_add, t->out_rshift, lo, hi, 1, 1, out);
        } else {
            fm_add_tflm4(a, b, n, ta, tb, t->out_mult, t->out_add, t->out_rshift, out);
        }
        return;
    }
    e = fm_add_scale(k);
    fm_add_tables_fixed(k, e > 0 ? e : 0, ta, tb);
    if (e >= 0) {
        fm_add_fixed4(a, b, n, ta, tb, k->out_mult, (int32_t)((uint32_t)k->out_add << e), out);
    } else if (clamp) {
        fm_add_table_loop(a, b, n, ta, tb, k->out_mult, k->out_add, k->out_rshift, lo, hi, 0, 1, out);
    } else {
        fm_add_table_loop(a, b, n, ta, tb, k->out_mult, k->out_add, k->out_rshift, lo, hi, 0, 0, out);
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
              void *scratch, int8_t *output) {
    fm_add_fast_t k;
    fm_add_tflm_t t;
    const int32_t n = p != 0 ? p->size : 0;
    int32_t i;
    int tables;
    if (p == 0 || rq == 0 || a == 0 || b == 0 || output == 0) return FM_ERR_NULL;
    if (p->a_size < 1 || p->b_size < 1 || p->size % p->a_size != 0 || p->size % p->b_size != 0) return FM_ERR_PARAM;
    tables = scratch != 0 && n >= FM_ADD_TABLE_MIN && p->a_size == n && p->b_size == n;
    if (tables && fm_add_fast(rq, &k)) {
        fm_add_table(a, b, n, &k, 0, scratch, output);
        return FM_OK;
    }
    if (tables && fm_add_tflm(rq, &t)) {
        fm_add_table(a, b, n, &k, &t, scratch, output);
        return FM_OK;
    }
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
