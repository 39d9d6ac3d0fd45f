/* flightml DSP kernels: depthwise convolution (one output channel per input channel) with 3 taps along
 * w, stride 1 or 2 there, any taps, stride, dilation and padding along h. Hand-written, C99 + ACLE.
 * Same results as kernels/portable/conv.c.
 *
 * Two neighbouring outputs a = ow and b = ow + 1 of a channel are computed together from one word
 * of each input row, x[s .. s + 3] (s = ow * stride - pad_left), widened with the input offset into
 * lo = (x0, x2) and hi = (x1, x3), against the row's weights W02 = (w0, w2) and W1 = (w1, .) widened
 * once per channel:
 *   stride 1: a = SMLAD(lo, W02) + SMLABB(hi, W1), b = SMLAD(hi, W02) + SMLATB(lo, W1);
 *   stride 2: a as above, b = SMLATB(lo, W02) + SMLATB(hi, W1) + x4 * w2 (SMLABT), x4 = x[s + 4].
 * Words reaching into the padding are shifted in the input zero point (widens to 0; rows of at least 4);
 * rows outside the input along h take zero weights (and read row 0). An odd output width computes
 * its last pair at out_w - 2 (one output twice, same value). 3 taps along h (the usual 3 x 3) are
 * written out, with the weights in registers, for the two inline rules (fixedpoint, tflm; the mode's
 * fm_requant takes the loop over the taps). Requantization as conv_mm.c.
 * Planes whose padded copy fits FM_DSP_DW_PLANE bytes of scratch (KWS's and VWW's from 24 x 24 down; rows
 * narrower than 4 included) are first copied into it (rows 8, 16, 32 or a multiple of 4 wide, the padding
 * filled with the zero point once per layer): no border pairs, no rows outside. With 3 taps along h and an
 * inline rule, runs of channels go out of line (fm_dw_planes, the kernel chosen once per run) with the input
 * offset folded into the bias (init + in_offset * sum of the weights: the copy is widened without offset,
 * its padding included): 3 x 3 planes with stride 1 and padding 1 all in registers (fm_dw3x3), 6 x 6 planes
 * with stride 2 and padding 0 at top and left likewise (fm_dw6s2), 3 x 3 with
 * stride 1 two output rows per pass (fm_dw_rows2: 4 input rows widened once for 2 output rows), stride 2
 * one output row per pass (fm_dw_s2; row offsets constants for widths 16 and 32), others fm_dw_plane3.
 * Larger planes (VWW's 48 x 48) go the same way a band of output rows at a time (fm_dw_bands) when every
 * channel's rule is inline, else through the row path above. Even planes with stride 2 and padding 0 at top
 * and left are read from the input (fm_dw_s2e; 12 wide: fm_dw_s2r12, each output row's 6 outputs in
 * registers). The padded-plane kernels take the tflm rule on doubled accumulators (weights and init doubled
 * once per channel; fm_dw_rqt2: 4 instructions per output). */
#include "fm_dsp_conv.h"

#define FM_DSP_DW_KH 8 /* taps along h on this path */

#define FM_DSP_DW_PLANE 1024 /* bytes of the padded copy of a small channel plane (scratch) */

/* Width of the padded copy of a channel plane's rows (pad_left zero points, the input row, zero points up
 * to the last pair's reads; 8, 16, 32 or a multiple of 4), or 0 for sizes past FM_DSP_DW_PLANE. */
static int32_t fm_dw_width(const fm_conv_params_t *p) {
    const int32_t reach = (p->out_w - 2) * p->stride_w + 3 + p->stride_w;
    const int32_t w = p->pad_left + p->in_w > reach ? p->pad_left + p->in_w : reach;
    if (p->out_h > FM_DSP_DW_PLANE || p->stride_h > FM_DSP_DW_PLANE || p->dil_h > FM_DSP_DW_PLANE ||
        p->out_w > FM_DSP_DW_PLANE || p->in_w > FM_DSP_DW_PLANE || p->pad_left > FM_DSP_DW_PLANE) {
        return 0;
    }
    return w <= 8 ? 8 : w <= 16 ? 16 : w <= 32 ? 32 : (w + 3) & ~3;
}

/* Width and rows of the padded copy of one channel plane (fm_dw_width wide; pad_top rows of zero points, the
 * input rows, zero-point rows down to the last output row's window), or 0 when it exceeds FM_DSP_DW_PLANE. */
static int32_t fm_dsp_dw_plane(const fm_conv_params_t *p, int32_t *rows) {
    const int32_t w = fm_dw_width(p);
    *rows = (p->out_h - 1) * p->stride_h + (p->k_h - 1) * p->dil_h + 1;
    return w > 0 && *rows * w <= FM_DSP_DW_PLANE ? w : 0;
}

/* Output rows per band of a plane copied a band at a time (the most whose copy, w wide and `rows` rows,
 * fits FM_DSP_DW_PLANE, at most out_h), or 0 when fewer than 2 fit. */
static int32_t fm_dw_band(const fm_conv_params_t *p, int32_t *w, int32_t *rows) {
    const int32_t span = (p->k_h - 1) * p->dil_h + 1;
    int32_t band;
    *w = fm_dw_width(p);
    if (*w == 0 || FM_DSP_DW_PLANE / *w < span + p->stride_h || p->out_h < 2) return 0;
    band = (FM_DSP_DW_PLANE / *w - span) / p->stride_h + 1;
    band = band < p->out_h ? band : p->out_h;
    *rows = (band - 1) * p->stride_h + span;
    return band;
}

/* 1 when this path handles convolution p (the compiler calls fm_conv_dw_s8 for these shapes only):
 * planes whose padded copy fits FM_DSP_DW_PLANE, or rows of at least 4 with pad_left <= 3. */
static int fm_dsp_dw_ok(const fm_conv_params_t *p) {
    int32_t rows;
    return p->groups >= 1 && p->groups == p->in_c && p->out_c == p->in_c && p->stride_h >= 1 && p->dil_h >= 1 &&
           p->k_w == 3 && p->dil_w == 1 && (p->stride_w == 1 || p->stride_w == 2) && p->k_h <= FM_DSP_DW_KH &&
           p->out_w >= 2 && p->pad_left >= 0 && p->pad_top >= 0 && (p->out_w - 1) * p->stride_w - p->pad_left < p->in_w &&
           ((p->in_w >= 4 && p->pad_left <= 3) || fm_dsp_dw_plane(p, &rows) > 0);
}

/* What one output row needs: geometry, requantization of the channel, row pointers and widened weights
 * per tap along h (copied out of the params: the output stores could alias them otherwise). */
typedef struct {
    int32_t in_w, out_w, stride, pad_left, in_offset, k_h;
    int16x2_t xo;
    int8_t pad;
    const int8_t *row[FM_DSP_DW_KH];
    int16x2_t w02[FM_DSP_DW_KH], w1[FM_DSP_DW_KH];
} fm_dw_t;

/* Four int8 values to any address. */
static inline void fm_dw_st4(int8_t *p, uint32_t v) { __builtin_memcpy(p, &v, sizeof v); }

/* x[s .. s + 3] of one input row of at least 4 values when it reaches past one end by 1 to 3 values
 * (-3 <= s < 0 or in_w - 4 < s < in_w), the zero point standing in for them: one word, shifted. */
static inline __attribute__((always_inline)) uint32_t fm_dw_edge(const int8_t *row, int32_t s, int32_t in_w, int8_t pad) {
    const uint32_t pads = (uint32_t)(uint8_t)pad * 0x01010101u;
    if (s < 0) return fm_dsp_ld4(row) << (-8 * s) | pads >> (32 + 8 * s);
    return fm_dsp_ld4(row + in_w - 4) >> (8 * (s + 4 - in_w)) | pads << (32 - 8 * (s + 4 - in_w));
}

/* The contribution of a widened word lo = (x0, x2), hi = (x1, x3) of x[s .. s + 3] (and x4 = x[s + 4] for
 * stride 2, widened alike) to the pair (a, b). */
static inline __attribute__((always_inline)) void fm_dw_pair(int16x2_t lo, int16x2_t hi, int32_t x4, int16x2_t w02,
                                                             int16x2_t w1, int32_t stride, int32_t *a, int32_t *b) {
    *a = __smlabb(hi, w1, __smlad(lo, w02, *a));
    if (stride == 1) {
        *b = __smlatb(lo, w1, __smlad(hi, w02, *b));
    } else {
        *b = __smlabt(x4, w02, __smlatb(hi, w1, __smlatb(lo, w02, *b)));
    }
}

/* The contribution of v = x[s .. s + 3] (and x4 = x[s + 4] + in_offset for stride 2) to the pair (a, b). */
static inline __attribute__((always_inline)) void fm_dw_word(int16x2_t xo, uint32_t v, int32_t x4, int16x2_t w02,
                                                             int16x2_t w1, int32_t stride, int32_t *a, int32_t *b) {
    fm_dw_pair(__sxtab16(xo, (int8x4_t)v), fm_dsp_hi(xo, v), x4, w02, w1, stride, a, b);
}

/* acc plus the output at x[0 .. 2] of the widened word lo = (x0, x2), hi = (x1, x3) (the odd last output). */
static inline __attribute__((always_inline)) int32_t fm_dw_one(int16x2_t lo, int16x2_t hi, int16x2_t w02, int16x2_t w1,
                                                               int32_t acc) {
    return __smlabb(hi, w1, __smlad(lo, w02, acc));
}

/* One input row's contribution to the pair (a, b). */
static inline __attribute__((always_inline)) void fm_dw_tap(const fm_dw_t *d, const int8_t *row, int32_t s,
                                                            int32_t inside, int16x2_t w02, int16x2_t w1,
                                                            int32_t stride, int32_t *a, int32_t *b) {
    const uint32_t v = inside || (s >= 0 && s + 4 <= d->in_w) ? fm_dsp_ld4(row + s) : fm_dw_edge(row, s, d->in_w, d->pad);
    int32_t x4 = 0;
    if (stride != 1) x4 = (inside || (s + 4 >= 0 && s + 4 < d->in_w) ? row[s + 4] : d->pad) + d->in_offset;
    fm_dw_word(d->xo, v, x4, w02, w1, stride, a, b);
}

/* One output row of one channel into out (pairs of outputs; k3: 3 taps along h, written out; fast: q->fast,
 * a constant in the k3 calls). */
static inline __attribute__((always_inline)) void fm_dw_outrow(const fm_dw_t *d, const fm_dsp_chq_t *q,
                                                               const fm_requant_t *rq, const int32_t *bias,
                                                               int32_t c, int32_t stride, int k3, int32_t fast,
                                                               int8_t *out) {
    const int32_t out_w = d->out_w, in_w = d->in_w, init = q->init, k_h = d->k_h;
    const int32_t step = stride == 1 ? 2 : 4, last = out_w - 2;
    const int8_t *r0 = d->row[0], *r1 = d->row[1], *r2 = d->row[2];
    const int16x2_t w02_0 = d->w02[0], w02_1 = d->w02[1], w02_2 = d->w02[2];
    const int16x2_t w1_0 = d->w1[0], w1_1 = d->w1[1], w1_2 = d->w1[2];
    int32_t ow, s = -d->pad_left, kh;
    for (ow = 0; ow < out_w; ow += 2, s += step) {
        int32_t inside, a = init, b = init;
        if (ow > last) { /* odd width: the last pair at out_w - 2 */
            ow = last;
            s = last * stride - d->pad_left;
        }
        inside = s >= 0 && s + 3 + stride <= in_w;
        if (k3 && inside) { /* constant arguments: straight-line code for the usual case */
            fm_dw_tap(d, r0, s, 1, w02_0, w1_0, stride, &a, &b);
            fm_dw_tap(d, r1, s, 1, w02_1, w1_1, stride, &a, &b);
            fm_dw_tap(d, r2, s, 1, w02_2, w1_2, stride, &a, &b);
        } else if (k3) { /* a border pair */
            fm_dw_tap(d, r0, s, 0, w02_0, w1_0, stride, &a, &b);
            fm_dw_tap(d, r1, s, 0, w02_1, w1_1, stride, &a, &b);
            fm_dw_tap(d, r2, s, 0, w02_2, w1_2, stride, &a, &b);
        } else {
            for (kh = 0; kh < k_h; ++kh) fm_dw_tap(d, d->row[kh], s, inside, d->w02[kh], d->w1[kh], stride, &a, &b);
        }
        if (fast == FM_DSP_FIXED) {
            out[ow] = fm_dsp_rq8(a, q->mult, q->add, q->rshift);
            out[ow + 1] = fm_dsp_rq8(b, q->mult, q->add, q->rshift);
        } else if (fast == FM_DSP_TFLM) {
            out[ow] = fm_dsp_rqt(a, q->mult, q->add, q->rshift);
            out[ow + 1] = fm_dsp_rqt(b, q->mult, q->add, q->rshift);
        } else {
            out[ow] = fm_dsp_chq_out(a, q, rq, bias, c);
            out[ow + 1] = fm_dsp_chq_out(b, q, rq, bias, c);
        }
    }
}

/* Low lane of a, low lane of b as the high lane (PKHBT). */
static inline int16x2_t fm_dw_pkbb(int16x2_t a, int16x2_t b) {
    int16x2_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* Low lane of b, high lane of a (PKHTB). */
static inline int16x2_t fm_dw_pktb(int16x2_t a, int16x2_t b) {
    int16x2_t r;
    __asm__("pkhtb %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* SMMLAR: acc + round(a * b / 2^32), halfway up. */
static inline int32_t fm_dw_smmlar(int32_t a, int32_t b, int32_t acc) {
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* fm_dsp_rqt of acc from s2 = 2 acc (the padded-plane kernels accumulate with doubled weights): SMMLAR(s2,
 * M, add) = h + add, and h < 0 only when s2 < 0, while s2 < 0 with h = 0 leaves (add - 1) >> r = add >> r
 * (add = 2^(r-1) + zp 2^r, r >= 1), so s2's sign stands in for h's (4 instructions instead of 6). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
static inline int8_t fm_dw_rqt2(int32_t s2, int32_t mult, int32_t add, int32_t rshift) {
    return (int8_t)__ssat((fm_dw_smmlar(s2, mult, add) + (s2 >> 31)) >> rshift, 8);
}
#pragma GCC diagnostic pop

/* The inline rule `fast` (a constant) of the padded-plane kernels: for FM_DSP_TFLM acc is doubled. */
static inline __attribute__((always_inline)) int8_t fm_dw_rq(int32_t acc, int32_t fast, int32_t mult, int32_t add,
                                                             int32_t rshift) {
    return fast == FM_DSP_TFLM ? fm_dw_rqt2(acc, mult, add, rshift) : fm_dsp_rq8(acc, mult, add, rshift);
}

/* Widened weights w for rule `fast` (a constant): doubled lane by lane for FM_DSP_TFLM (|w| <= 255). */
static inline __attribute__((always_inline)) int16x2_t fm_dw_wk(int16x2_t w, int32_t fast) {
    return fast == FM_DSP_TFLM ? __sadd16(w, w) : w;
}

/* The 3 x 3 weights k with offset wo, widened (doubled for FM_DSP_TFLM: `fast` a constant): w[0 .. 2] = (w0, w2)
 * of rows 0 .. 2, w[3] = (w1 of row 0, w1 of row 1), w[4] = (w1 of row 2, .); returns the sum of the 9 (of
 * the doubled ones for FM_DSP_TFLM). Words at k, k + 3 and k + 5 (shifted): nothing past the weights is read. */
static inline __attribute__((always_inline)) int32_t fm_dw_w9(const int8_t *k, int16x2_t wo, int32_t fast,
                                                              int16x2_t *w) {
    const uint32_t v0 = fm_dsp_ld4(k), v1 = fm_dsp_ld4(k + 3), v2 = fm_dsp_ld4(k + 5) >> 8;
    const int16x2_t ones = (int16x2_t)0x00010001;
    const int16x2_t h0 = fm_dw_wk(fm_dsp_hi(wo, v0), fast), h1 = fm_dw_wk(fm_dsp_hi(wo, v1), fast);
    w[0] = fm_dw_wk(__sxtab16(wo, (int8x4_t)v0), fast);
    w[1] = fm_dw_wk(__sxtab16(wo, (int8x4_t)v1), fast);
    w[2] = fm_dw_wk(__sxtab16(wo, (int8x4_t)v2), fast);
    w[3] = fm_dw_pkbb(h0, h1);
    w[4] = fm_dw_wk(fm_dsp_hi(wo, v2), fast);
    return __smlabb(w[4], ones, __smlad(w[3], ones, __smlad(w[2], ones, __smlad(w[1], ones, __smuad(w[0], ones)))));
}

/* The contribution of row x (x[0 .. 3], and x[4] for stride 2; no input offset) to the pair (a, b). */
static inline __attribute__((always_inline)) void fm_dw_raw(const int8_t *x, int16x2_t w02, int16x2_t w1,
                                                            int32_t stride, int32_t *a, int32_t *b) {
    const uint32_t v = fm_dsp_ld4(x);
    fm_dw_pair(__sxtb16((int8x4_t)v), fm_dsp_hi0(v), stride == 1 ? 0 : x[4], w02, w1, stride, a, b);
}

/* One channel of a 3-tap-along-h convolution from its padded copy buf (pw wide: every pair inside),
 * everything in registers (the output stores could alias a struct); w as fm_dw_w9; stride and fast (an
 * inline rule) are constants; init holds the input offset times the weights' sum (the padded copy is read
 * without offset, so x + in_offset need not be widened); an odd width computes its last output alone. */
static inline __attribute__((always_inline)) void fm_dw_plane3(const int16x2_t *w, const int8_t *buf, int32_t pw,
                                                               const fm_conv_params_t *p, const fm_dsp_chq_t *q,
                                                               int32_t init, int32_t stride, int32_t fast,
                                                               int32_t tap_step, int8_t *out) {
    const int16x2_t w02_0 = w[0], w02_1 = w[1], w02_2 = w[2];
    const int16x2_t w1_0 = w[3], w1_1 = (int16x2_t)((uint32_t)w[3] >> 16), w1_2 = w[4];
    const int32_t out_w = p->out_w, out_h = p->out_h, last = out_w - 2;
    const int32_t row_step = p->stride_h * pw, step = stride == 1 ? 2 : 4;
    const int32_t mult = q->mult, add = q->add, rshift = q->rshift;
    const int8_t *const end = buf + out_h * row_step;
    for (; buf != end; buf += row_step, out += out_w) {
        const int8_t *x = buf;
        int32_t ow = 0;
        for (;;) {
            int32_t a = init, b = init;
            fm_dw_raw(x, w02_0, w1_0, stride, &a, &b);
            fm_dw_raw(x + tap_step, w02_1, w1_1, stride, &a, &b);
            fm_dw_raw(x + 2 * tap_step, w02_2, w1_2, stride, &a, &b);
            out[ow] = fm_dw_rq(a, fast, mult, add, rshift);
            out[ow + 1] = fm_dw_rq(b, fast, mult, add, rshift);
            ow += 2;
            x += step;
            if (ow >= out_w) break;
            if (ow > last) { /* odd width: the last output alone */
                uint32_t v = fm_dsp_ld4(x);
                a = fm_dw_one(__sxtb16((int8x4_t)v), fm_dsp_hi0(v), w02_0, w1_0, init);
                v = fm_dsp_ld4(x + tap_step);
                a = fm_dw_one(__sxtb16((int8x4_t)v), fm_dsp_hi0(v), w02_1, w1_1, a);
                v = fm_dsp_ld4(x + 2 * tap_step);
                a = fm_dw_one(__sxtb16((int8x4_t)v), fm_dsp_hi0(v), w02_2, w1_2, a);
                out[ow] = fm_dw_rq(a, fast, mult, add, rshift);
                break;
            }
        }
    }
}

/* Row x (x[0 .. 3], no input offset) times the weight row (w02, the tap w1 in the low (top = 0) or high
 * (top = 1) lane of w1s), added to the pair (a, b); stride 1. */
static inline __attribute__((always_inline)) void fm_dw_row1(int16x2_t lo, int16x2_t hi, int16x2_t w02, int16x2_t w1s,
                                                             int top, int32_t *a, int32_t *b) {
    *a = top ? __smlabt(hi, w1s, __smlad(lo, w02, *a)) : __smlabb(hi, w1s, __smlad(lo, w02, *a));
    *b = top ? __smlatt(lo, w1s, __smlad(hi, w02, *b)) : __smlatb(lo, w1s, __smlad(hi, w02, *b));
}

/* One channel of a 3 x 3, stride 1 convolution (rows 1 apart) from its padded copy buf (pw wide), two
 * output rows per pass: each of 4 input rows widened once for both (an odd height recomputes the row
 * before the last; out_h >= 2). w = {W02 of rows 0, 1, 2, (w1 of row 0, w1 of row 1), w1 of row 2}; init
 * as fm_dw_plane3; fast a constant. */
static inline __attribute__((always_inline)) void fm_dw_rows2(const int16x2_t *w, const int8_t *buf, int32_t pw,
                                                              int32_t out_w, int32_t out_h, const fm_dsp_chq_t *q,
                                                              int32_t init, int32_t fast, int8_t *out) {
    const int16x2_t w02_0 = w[0], w02_1 = w[1], w02_2 = w[2], w1a = w[3], w1b = w[4];
    const int32_t mult = q->mult, add = q->add, rshift = q->rshift;
    int32_t r;
    for (r = 0; r < out_h; r += 2) {
        const int8_t *x;
        int8_t *o;
        int32_t ow;
        if (r > out_h - 2) r = out_h - 2;
        x = buf + r * pw;
        o = out + r * out_w;
        for (ow = 0; ow + 2 <= out_w; ow += 2, x += 2) {
            int32_t a0 = init, b0 = init, a1 = init, b1 = init;
            uint32_t v = fm_dsp_ld4(x);
            int16x2_t lo = __sxtb16((int8x4_t)v), hi = fm_dsp_hi0(v);
            fm_dw_row1(lo, hi, w02_0, w1a, 0, &a0, &b0);
            v = fm_dsp_ld4(x + pw);
            lo = __sxtb16((int8x4_t)v);
            hi = fm_dsp_hi0(v);
            fm_dw_row1(lo, hi, w02_1, w1a, 1, &a0, &b0);
            fm_dw_row1(lo, hi, w02_0, w1a, 0, &a1, &b1);
            v = fm_dsp_ld4(x + 2 * pw);
            lo = __sxtb16((int8x4_t)v);
            hi = fm_dsp_hi0(v);
            fm_dw_row1(lo, hi, w02_2, w1b, 0, &a0, &b0);
            fm_dw_row1(lo, hi, w02_1, w1a, 1, &a1, &b1);
            o[ow] = fm_dw_rq(a0, fast, mult, add, rshift);
            o[ow + 1] = fm_dw_rq(b0, fast, mult, add, rshift);
            v = fm_dsp_ld4(x + 3 * pw);
            fm_dw_row1(__sxtb16((int8x4_t)v), fm_dsp_hi0(v), w02_2, w1b, 0, &a1, &b1);
            o[out_w + ow] = fm_dw_rq(a1, fast, mult, add, rshift);
            o[out_w + ow + 1] = fm_dw_rq(b1, fast, mult, add, rshift);
        }
        if (ow < out_w) { /* odd width: the last column alone */
            int32_t a0 = init, a1 = init;
            uint32_t v = fm_dsp_ld4(x);
            int16x2_t lo = __sxtb16((int8x4_t)v), hi = fm_dsp_hi0(v);
            a0 = __smlabb(hi, w1a, __smlad(lo, w02_0, a0));
            v = fm_dsp_ld4(x + pw);
            lo = __sxtb16((int8x4_t)v);
            hi = fm_dsp_hi0(v);
            a0 = __smlabt(hi, w1a, __smlad(lo, w02_1, a0));
            a1 = __smlabb(hi, w1a, __smlad(lo, w02_0, a1));
            v = fm_dsp_ld4(x + 2 * pw);
            lo = __sxtb16((int8x4_t)v);
            hi = fm_dsp_hi0(v);
            a0 = __smlabb(hi, w1b, __smlad(lo, w02_2, a0));
            a1 = __smlabt(hi, w1a, __smlad(lo, w02_1, a1));
            v = fm_dsp_ld4(x + 3 * pw);
            a1 = __smlabb(fm_dsp_hi0(v), w1b, __smlad(__sxtb16((int8x4_t)v), w02_2, a1));
            o[ow] = fm_dw_rq(a0, fast, mult, add, rshift);
            o[out_w + ow] = fm_dw_rq(a1, fast, mult, add, rshift);
        }
    }
}

/* One channel of a 3 x 3 convolution with stride 2 along both axes (rows 1 apart) from its padded copy buf
 * (pw wide; a constant in the usual calls: row offsets in the instructions), one output row per pass; w as
 * fm_dw_w9, init as fm_dw_plane3; fast a constant. */
static inline __attribute__((always_inline)) void fm_dw_s2(const int16x2_t *w, const int8_t *buf, int32_t pw,
                                                           int32_t out_w, int32_t out_h, const fm_dsp_chq_t *q,
                                                           int32_t init, int32_t fast, int8_t *out) {
    const int16x2_t w02_0 = w[0], w02_1 = w[1], w02_2 = w[2], w1a = w[3], w1b = w[4];
    const int32_t mult = q->mult, add = q->add, rshift = q->rshift, pairs = 2 * (out_w & ~1);
    const int8_t *x = buf;
    int8_t *o = out;
    int32_t r;
    for (r = 0; r < out_h; ++r, x += 2 * pw - pairs) {
        const int8_t *const e = x + pairs;
        for (; x != e; x += 4, o += 2) {
            int32_t a, b;
            uint32_t v = fm_dsp_ld4(x);
            int16x2_t lo = __sxtb16((int8x4_t)v), hi = fm_dsp_hi0(v);
            a = __smlabb(hi, w1a, __smlad(lo, w02_0, init));
            b = __smlatb(hi, w1a, __smlatb(lo, w02_0, init));
            b = __smlabt(x[4], w02_0, b);
            v = fm_dsp_ld4(x + pw);
            lo = __sxtb16((int8x4_t)v);
            hi = fm_dsp_hi0(v);
            a = __smlabt(hi, w1a, __smlad(lo, w02_1, a));
            b = __smlatt(hi, w1a, __smlatb(lo, w02_1, b));
            b = __smlabt(x[pw + 4], w02_1, b);
            v = fm_dsp_ld4(x + 2 * pw);
            lo = __sxtb16((int8x4_t)v);
            hi = fm_dsp_hi0(v);
            a = __smlabb(hi, w1b, __smlad(lo, w02_2, a));
            b = __smlatb(hi, w1b, __smlatb(lo, w02_2, b));
            b = __smlabt(x[2 * pw + 4], w02_2, b);
            o[0] = fm_dw_rq(a, fast, mult, add, rshift);
            o[1] = fm_dw_rq(b, fast, mult, add, rshift);
        }
        if (out_w & 1) { /* odd width: the last output alone */
            int32_t a = init;
            uint32_t v = fm_dsp_ld4(x);
            a = __smlabb(fm_dsp_hi0(v), w1a, __smlad(__sxtb16((int8x4_t)v), w02_0, a));
            v = fm_dsp_ld4(x + pw);
            a = __smlabt(fm_dsp_hi0(v), w1a, __smlad(__sxtb16((int8x4_t)v), w02_1, a));
            v = fm_dsp_ld4(x + 2 * pw);
            a = __smlabb(fm_dsp_hi0(v), w1b, __smlad(__sxtb16((int8x4_t)v), w02_2, a));
            *o++ = fm_dw_rq(a, fast, mult, add, rshift);
        }
    }
}

/* One output row of fm_dw_s2e from input rows x, x + pw and (k3) x + 2 pw: pairs with x4 read, the last pair
 * (at pw - 4) with x4 = pad; pw, k3 and fast constants. */
static inline __attribute__((always_inline)) void fm_dw_s2e_row(const int16x2_t *w, const int8_t *x, int32_t pw,
                                                                int k3, int32_t init, int32_t pad,
                                                                const fm_dsp_chq_t *q, int32_t fast, int8_t *o) {
    const int16x2_t w02_0 = w[0], w02_1 = w[1], w02_2 = w[2], w1a = w[3], w1b = w[4];
    const int32_t mult = q->mult, add = q->add, rshift = q->rshift;
    const int8_t *const e = x + pw - 4;
    for (;; x += 4, o += 2) {
        const int end = x == e;
        int32_t a, b;
        uint32_t v = fm_dsp_ld4(x);
        int16x2_t lo = __sxtb16((int8x4_t)v), hi = fm_dsp_hi0(v);
        a = __smlabb(hi, w1a, __smlad(lo, w02_0, init));
        b = __smlatb(hi, w1a, __smlatb(lo, w02_0, init));
        b = __smlabt(end ? pad : x[4], w02_0, b);
        v = fm_dsp_ld4(x + pw);
        lo = __sxtb16((int8x4_t)v);
        hi = fm_dsp_hi0(v);
        a = __smlabt(hi, w1a, __smlad(lo, w02_1, a));
        b = __smlatt(hi, w1a, __smlatb(lo, w02_1, b));
        b = __smlabt(end ? pad : x[pw + 4], w02_1, b);
        if (k3) {
            v = fm_dsp_ld4(x + 2 * pw);
            lo = __sxtb16((int8x4_t)v);
            hi = fm_dsp_hi0(v);
            a = __smlabb(hi, w1b, __smlad(lo, w02_2, a));
            b = __smlatb(hi, w1b, __smlatb(lo, w02_2, b));
            b = __smlabt(end ? pad : x[2 * pw + 4], w02_2, b);
        }
        o[0] = fm_dw_rq(a, fast, mult, add, rshift);
        o[1] = fm_dw_rq(b, fast, mult, add, rshift);
        if (end) return;
    }
}

/* One channel of a 3 x 3 convolution with stride 2 along both axes on an even plane x (pw = in_w = 2 out_w
 * wide, out_w even; in_h = 2 out_h), padding 0 at top and left, so the windows of the last output row and
 * column reach one zero-point row or column past the plane (VWW's SAME padding): read from the input, no
 * padded copy. w as fm_dw_w9, init as fm_dw_plane3 (the input read without offset; pad = -in_offset, the
 * zero point, stands for the column past the plane, and the row past it is the sum of its weights times pad,
 * in the last row's start); pw (12 and 24 constants in the usual calls) and fast constants. */
static inline __attribute__((always_inline)) void fm_dw_s2e(const int16x2_t *w, const int8_t *x, int32_t pw,
                                                            int32_t out_h, const fm_dsp_chq_t *q, int32_t init,
                                                            int32_t pad, int32_t fast, int8_t *out) {
    const int16x2_t ones = (int16x2_t)0x00010001;
    const int32_t last = init + pad * __smlabb(w[4], ones, __smuad(w[2], ones)), out_w = pw / 2;
    const int8_t *const end = x + (out_h - 1) * 2 * pw;
    for (; x != end; x += 2 * pw, out += out_w) fm_dw_s2e_row(w, x, pw, 1, init, pad, q, fast, out);
    fm_dw_s2e_row(w, x, pw, 0, last, pad, q, fast, out);
}

/* Words v0, v1, v2 = x[0 .. 11] of one input row (no input offset) times the weight row (w02, the tap w1 in the
 * low (top = 0) or high (top = 1) lane of w1s), added to the 6 outputs o of a stride-2 output row (o[5]
 * without its x[12] term). */
static inline __attribute__((always_inline)) void fm_dw_s2r_tap(uint32_t v0, uint32_t v1, uint32_t v2, int16x2_t w02,
                                                                int16x2_t w1s, int top, int32_t *o) {
    int16x2_t lo = __sxtb16((int8x4_t)v0), hi = fm_dsp_hi0(v0);
    o[0] = top ? __smlabt(hi, w1s, __smlad(lo, w02, o[0])) : __smlabb(hi, w1s, __smlad(lo, w02, o[0]));
    o[1] = top ? __smlatt(hi, w1s, __smlatb(lo, w02, o[1])) : __smlatb(hi, w1s, __smlatb(lo, w02, o[1]));
    lo = __sxtb16((int8x4_t)v1);
    hi = fm_dsp_hi0(v1);
    o[1] = __smlabt(lo, w02, o[1]);
    o[2] = top ? __smlabt(hi, w1s, __smlad(lo, w02, o[2])) : __smlabb(hi, w1s, __smlad(lo, w02, o[2]));
    o[3] = top ? __smlatt(hi, w1s, __smlatb(lo, w02, o[3])) : __smlatb(hi, w1s, __smlatb(lo, w02, o[3]));
    lo = __sxtb16((int8x4_t)v2);
    hi = fm_dsp_hi0(v2);
    o[3] = __smlabt(lo, w02, o[3]);
    o[4] = top ? __smlabt(hi, w1s, __smlad(lo, w02, o[4])) : __smlabb(hi, w1s, __smlad(lo, w02, o[4]));
    o[5] = top ? __smlatt(hi, w1s, __smlatb(lo, w02, o[5])) : __smlatb(hi, w1s, __smlatb(lo, w02, o[5]));
}

/* One output row of fm_dw_s2r12 from input rows x, x + 12 and (k3) x + 24: the 6 outputs in registers, from
 * init (o[5] from init5, which holds its column past the plane); fast a constant. */
static inline __attribute__((always_inline)) void fm_dw_s2r_row(const int16x2_t *w, const int8_t *x, int k3,
                                                                int32_t init, int32_t init5, const fm_dsp_chq_t *q,
                                                                int32_t fast, int8_t *out) {
    int32_t o[6] = {init, init, init, init, init, init5}, i;
    fm_dw_s2r_tap(fm_dsp_ld4(x), fm_dsp_ld4(x + 4), fm_dsp_ld4(x + 8), w[0], w[3], 0, o);
    fm_dw_s2r_tap(fm_dsp_ld4(x + 12), fm_dsp_ld4(x + 16), fm_dsp_ld4(x + 20), w[1], w[3], 1, o);
    if (k3) fm_dw_s2r_tap(fm_dsp_ld4(x + 24), fm_dsp_ld4(x + 28), fm_dsp_ld4(x + 32), w[2], w[4], 0, o);
#pragma GCC unroll 6
    for (i = 0; i < 6; ++i) out[i] = fm_dw_rq(o[i], fast, q->mult, q->add, q->rshift);
}

/* fm_dw_s2e on 12-wide planes (VWW's 12 x 12 layer): each output row's 6 outputs in registers, each input
 * word widened once per output row (the pairs' per-pair loads, spills and loop overhead gone). */
static inline __attribute__((always_inline)) void fm_dw_s2r12(const int16x2_t *w, const int8_t *x, int32_t out_h,
                                                              const fm_dsp_chq_t *q, int32_t init, int32_t pad,
                                                              int32_t fast, int8_t *out) {
    const int32_t init01 = __smlatb(w[1], pad, __smlatb(w[0], pad, init)); /* o[5]'s x[12] of rows 0, 1 */
    const int32_t below = pad * __smlabb(w[4], (int16x2_t)0x00010001, __smuad(w[2], (int16x2_t)0x00010001));
    const int8_t *const end = x + (out_h - 1) * 24;
    for (; x != end; x += 24, out += 6) fm_dw_s2r_row(w, x, 1, init, __smlatb(w[2], pad, init01), q, fast, out);
    fm_dw_s2r_row(w, x, 0, init + below, init01 + below, q, fast, out);
}

/* The padded copy buf (width w, `rows` rows) filled with zero points: its padding, for every channel. */
static void fm_dw_pad_fill(int8_t pad, int32_t w, int32_t rows, int8_t *buf) {
    const uint32_t pads = (uint32_t)(uint8_t)pad * 0x01010101u;
    int32_t i;
    for (i = 0; i < w * rows; i += 4) __builtin_memcpy(buf + i, &pads, 4);
}

/* Rows x .. end (in_w >= 4 apart) into rows `row` (w apart): words at 0, 4, .., 4 (n - 2) and the last at
 * in_w - 4 (overlapping the one before; nothing read past a row); n a constant in the usual calls. */
static inline __attribute__((always_inline)) void fm_dw_copy_rows(const int8_t *x, const int8_t *end, int32_t in_w,
                                                                  int8_t *row, int32_t w, int32_t n) {
    for (; x != end; x += in_w, row += w) {
        int32_t i;
#pragma GCC unroll 8
        for (i = 0; i < n - 1; ++i) fm_dw_st4(row + 4 * i, fm_dsp_ld4(x + 4 * i));
        fm_dw_st4(row + in_w - 4, fm_dsp_ld4(x + in_w - 4));
    }
}

/* The input rows of a channel plane x that the windows read into its padded copy buf (width w, `rows` rows):
 * words (rows of 5 to 24 values with their number of words a constant), or bytes for rows narrower than 4. */
static void fm_dw_pad_copy(const fm_conv_params_t *p, const int8_t *x, int32_t w, int32_t rows, int8_t *buf) {
    const int32_t in_w = p->in_w, n = rows - p->pad_top < p->in_h ? rows - p->pad_top : p->in_h;
    const int8_t *const end = x + n * in_w;
    int8_t *row = buf + p->pad_top * w + p->pad_left;
    int32_t i;
    if (in_w < 4) {
        for (; x != end; x += in_w, row += w) {
            for (i = 0; i < in_w; ++i) row[i] = x[i];
        }
        return;
    }
    switch ((in_w + 3) / 4) {
    case 2: fm_dw_copy_rows(x, end, in_w, row, w, 2); break;
    case 3: fm_dw_copy_rows(x, end, in_w, row, w, 3); break;
    case 6: fm_dw_copy_rows(x, end, in_w, row, w, 6); break;
    default: fm_dw_copy_rows(x, end, in_w, row, w, (in_w + 3) / 4); break;
    }
}

/* Row v = (x0, x1, x2, .) widened with offset xo, times the row of weights (W01, W12) = ((w0, w1), (w1, w2)),
 * added to the outputs (o0, o1, o2) of a 3 x 3 plane (padding 1: o0 reads x0 and x1, o2 x1 and x2). */
static inline __attribute__((always_inline)) void fm_dw3_row(int16x2_t xo, uint32_t v, int16x2_t w01, int16x2_t w12,
                                                             int32_t *o) {
    const int16x2_t lo = __sxtab16(xo, (int8x4_t)v), hi = fm_dsp_hi(xo, v);
    const int16x2_t p01 = fm_dw_pkbb(lo, hi), p12 = fm_dw_pktb(lo, hi);
    o[0] = __smlad(p01, w12, o[0]);
    o[1] = __smlatt(lo, w12, __smlad(p01, w01, o[1]));
    o[2] = __smlad(p12, w01, o[2]);
}

/* One channel of a 3 x 3 depthwise convolution on a 3 x 3 plane x, stride 1, padding 1 (VWW's last
 * layers): all 9 outputs in registers, each input row widened once, no padded copy; w the channel's 9
 * weights, fast an inline rule (a constant). Rows are read as words at x, x + 3 and x + 5 (shifted):
 * nothing past the plane. */
static inline __attribute__((always_inline)) void fm_dw3x3(const int8_t *x, const int8_t *w, int16x2_t xo,
                                                           int16x2_t wo, const fm_dsp_chq_t *q, int32_t fast,
                                                           int8_t *out) {
    const uint32_t v0 = fm_dsp_ld4(w), v1 = fm_dsp_ld4(w + 3), v2 = fm_dsp_ld4(w + 5) >> 8;
    const int16x2_t e0 = fm_dw_wk(__sxtab16(wo, (int8x4_t)v0), fast), d0 = fm_dw_wk(fm_dsp_hi(wo, v0), fast);
    const int16x2_t e1 = fm_dw_wk(__sxtab16(wo, (int8x4_t)v1), fast), d1 = fm_dw_wk(fm_dsp_hi(wo, v1), fast);
    const int16x2_t e2 = fm_dw_wk(__sxtab16(wo, (int8x4_t)v2), fast), d2 = fm_dw_wk(fm_dsp_hi(wo, v2), fast);
    const int16x2_t a0 = fm_dw_pkbb(e0, d0), b0 = fm_dw_pktb(e0, d0);
    const int16x2_t a1 = fm_dw_pkbb(e1, d1), b1 = fm_dw_pktb(e1, d1);
    const int16x2_t a2 = fm_dw_pkbb(e2, d2), b2 = fm_dw_pktb(e2, d2);
    const int32_t init = fast == FM_DSP_TFLM ? 2 * q->init : q->init, mult = q->mult, add = q->add, rshift = q->rshift;
    int32_t o[9] = {init, init, init, init, init, init, init, init, init}, i;
    uint32_t v = fm_dsp_ld4(x);
    fm_dw3_row(xo, v, a1, b1, o);
    fm_dw3_row(xo, v, a0, b0, o + 3);
    v = fm_dsp_ld4(x + 3);
    fm_dw3_row(xo, v, a2, b2, o);
    fm_dw3_row(xo, v, a1, b1, o + 3);
    fm_dw3_row(xo, v, a0, b0, o + 6);
    v = fm_dsp_ld4(x + 5) >> 8;
    fm_dw3_row(xo, v, a2, b2, o + 3);
    fm_dw3_row(xo, v, a1, b1, o + 6);
#pragma GCC unroll 9
    for (i = 0; i < 9; ++i) out[i] = fm_dw_rq(o[i], fast, mult, add, rshift);
}

/* Input row v = x[0 .. 3], u = x[2 .. 5] of a 6-wide plane widened with offset xo, times the weight row (w02,
 * the tap w1 in the low (top = 0) or high (top = 1) lane of w1s), added to one output row o[0 .. 2] of a
 * stride-2 convolution without left padding (o[2] reads x4 and x5 only: x6 is right padding). */
static inline __attribute__((always_inline)) void fm_dw6_row(int16x2_t xo, uint32_t v, uint32_t u, int16x2_t w02,
                                                             int16x2_t w1s, int top, int32_t *o) {
    const int16x2_t lo = __sxtab16(xo, (int8x4_t)v), hi = fm_dsp_hi(xo, v);
    const int16x2_t lo2 = __sxtab16(xo, (int8x4_t)u), hi2 = fm_dsp_hi(xo, u);
    o[0] = top ? __smlabt(hi, w1s, __smlad(lo, w02, o[0])) : __smlabb(hi, w1s, __smlad(lo, w02, o[0]));
    o[1] = top ? __smlabt(hi2, w1s, __smlad(lo2, w02, o[1])) : __smlabb(hi2, w1s, __smlad(lo2, w02, o[1]));
    o[2] = top ? __smlatt(hi2, w1s, __smlatb(lo2, w02, o[2])) : __smlatb(hi2, w1s, __smlatb(lo2, w02, o[2]));
}

/* One channel of a 3 x 3 depthwise convolution with stride 2 on a 6 x 6 plane x, padding 0 at top and left
 * (1 at bottom and right: the last output row and column read rows and columns 4 and 5 only), 3 x 3 outputs
 * (VWW's 6 x 6 stride-2 layer): the outputs in registers, each input row widened once, no padded copy; w the
 * channel's 9 weights, fast an inline rule (a constant). Words at 6 r and 6 r + 2 of row r: nothing past the
 * plane is read. */
static inline __attribute__((always_inline)) void fm_dw6s2(const int8_t *x, const int8_t *k, int16x2_t xo,
                                                           int16x2_t wo, const fm_dsp_chq_t *q, int32_t fast,
                                                           int8_t *out) {
    int16x2_t w[5];
    const int32_t init = fast == FM_DSP_TFLM ? 2 * q->init : q->init, mult = q->mult, add = q->add;
    const int32_t rshift = q->rshift;
    int32_t o[9] = {init, init, init, init, init, init, init, init, init}, i;
    uint32_t v, u;
    (void)fm_dw_w9(k, wo, fast, w);
    v = fm_dsp_ld4(x);
    u = fm_dsp_ld4(x + 2);
    fm_dw6_row(xo, v, u, w[0], w[3], 0, o);
    v = fm_dsp_ld4(x + 6);
    u = fm_dsp_ld4(x + 8);
    fm_dw6_row(xo, v, u, w[1], w[3], 1, o);
    v = fm_dsp_ld4(x + 12);
    u = fm_dsp_ld4(x + 14);
    fm_dw6_row(xo, v, u, w[2], w[4], 0, o);
    fm_dw6_row(xo, v, u, w[0], w[3], 0, o + 3);
#pragma GCC unroll 3
    for (i = 0; i < 3; ++i) out[i] = fm_dw_rq(o[i], fast, mult, add, rshift);
    v = fm_dsp_ld4(x + 18);
    u = fm_dsp_ld4(x + 20);
    fm_dw6_row(xo, v, u, w[1], w[3], 1, o + 3);
    v = fm_dsp_ld4(x + 24);
    u = fm_dsp_ld4(x + 26);
    fm_dw6_row(xo, v, u, w[2], w[4], 0, o + 3);
    fm_dw6_row(xo, v, u, w[0], w[3], 0, o + 6);
    v = fm_dsp_ld4(x + 30);
    u = fm_dsp_ld4(x + 32);
    fm_dw6_row(xo, v, u, w[1], w[3], 1, o + 6);
#pragma GCC unroll 6
    for (i = 3; i < 9; ++i) out[i] = fm_dw_rq(o[i], fast, mult, add, rshift);
}

/* The padded-plane kernels of a channel with 3 taps along h and an inline rule (fm_dw_kernel). */
enum { FM_DW_3X3, FM_DW_6S2, FM_DW_S2E_12, FM_DW_S2E_24, FM_DW_S2E, FM_DW_ROWS2_8, FM_DW_ROWS2, FM_DW_S2_16, FM_DW_S2_32, FM_DW_S2, FM_DW_PLANE_S1, FM_DW_PLANE_S2 };

/* One channel through kernel `kind` with rule `fast` (constants): fm_dw3x3 from the input plane x, or its
 * weights k widened, x copied into buf (pw wide, `rows` rows, the padding filled) and fm_dw_rows2 (3 x 3,
 * stride 1, rows 1 apart, out_h >= 2; pw 8 a constant or not), fm_dw_s2 (stride 2, rows 1 apart; pw 16, 32 or not)
 * or fm_dw_plane3. */
static inline __attribute__((always_inline)) void fm_dw_kernel(const fm_conv_params_t *p, const fm_dsp_chq_t *q,
                                                                const int8_t *x, const int8_t *k, int32_t pw,
                                                                int32_t rows, int8_t *buf, int32_t kind,
                                                                int32_t fast, int8_t *out) {
    const int16x2_t wo = fm_dsp_pair(p->w_offset);
    const int32_t out_w = p->out_w, out_h = p->out_h, tap = p->dil_h * pw;
    int16x2_t w[5];
    int32_t init;
    if (kind == FM_DW_3X3) {
        fm_dw3x3(x, k, fm_dsp_pair(p->in_offset), wo, q, fast, out);
        return;
    }
    if (kind == FM_DW_6S2) {
        fm_dw6s2(x, k, fm_dsp_pair(p->in_offset), wo, q, fast, out);
        return;
    }
    init = (fast == FM_DSP_TFLM ? 2 * q->init : q->init) + p->in_offset * fm_dw_w9(k, wo, fast, w);
    if (kind == FM_DW_S2E_12) fm_dw_s2r12(w, x, out_h, q, init, -p->in_offset, fast, out);
    if (kind == FM_DW_S2E_24) fm_dw_s2e(w, x, 24, out_h, q, init, -p->in_offset, fast, out);
    if (kind == FM_DW_S2E) fm_dw_s2e(w, x, p->in_w, out_h, q, init, -p->in_offset, fast, out);
    if (kind == FM_DW_S2E_12 || kind == FM_DW_S2E_24 || kind == FM_DW_S2E) return;
    fm_dw_pad_copy(p, x, pw, rows, buf);
    if (kind == FM_DW_ROWS2_8) fm_dw_rows2(w, buf, 8, out_w, out_h, q, init, fast, out);
    if (kind == FM_DW_ROWS2) fm_dw_rows2(w, buf, pw, out_w, out_h, q, init, fast, out);
    if (kind == FM_DW_S2_16) fm_dw_s2(w, buf, 16, out_w, out_h, q, init, fast, out);
    if (kind == FM_DW_S2_32) fm_dw_s2(w, buf, 32, out_w, out_h, q, init, fast, out);
    if (kind == FM_DW_S2) fm_dw_s2(w, buf, pw, out_w, out_h, q, init, fast, out);
    if (kind == FM_DW_PLANE_S1) fm_dw_plane3(w, buf, pw, p, q, init, 1, fast, tap, out);
    if (kind == FM_DW_PLANE_S2) fm_dw_plane3(w, buf, pw, p, q, init, 2, fast, tap, out);
}

/* Where a run of channels goes through the padded-plane kernels: the copy in buf (pw wide, `rows` rows, the
 * padding filled), and the distances between the channels' input planes and output planes. */
typedef struct {
    int8_t *buf;
    int32_t pw, rows, plane, oplane;
} fm_dw_copy_t;

/* fm_dsp_chq_load(rq, bias, c, 9, q) == fast for channel c of a layer whose first channel's rule is `fast` (a
 * constant), from c's multiplier, shift and bias b (0 without) and the output zero point: the clamp and zero
 * point conditions hold for every channel then, and the multipliers of the two rules are disjoint (0 or >= 2^30,
 * <= -2^30), so only c's own constants are checked. */
static inline __attribute__((always_inline)) int fm_dw_chq(int32_t mult, int32_t shift, int32_t b, int32_t zp,
                                                           int32_t fast, fm_dsp_chq_t *q) {
    const int32_t maxsum = 9 * 65025; /* |x + x_off|, |w + w_off| <= 255 */
    if (fast == FM_DSP_FIXED) {
        if ((mult != 0 && mult < 0x40000000) || shift > -2 || shift < -23 || b > INT32_MAX - maxsum ||
            b < INT32_MIN + maxsum) {
            return 0;
        }
        q->mult = mult;
        q->rshift = -1 - shift;
    } else {
        if (mult > -0x40000000 || shift > -1 || shift < -22 || b >= 0x40000000 - maxsum || b <= -0x40000000 + maxsum) {
            return 0;
        }
        q->mult = -mult;
        q->rshift = -shift;
    }
    q->init = b;
    q->add = (int32_t)(1u << (q->rshift - 1)) + zp * (int32_t)(1u << q->rshift);
    q->fast = fast;
    return 1;
}

/* Channels c, c + 1, .. while their rule is `fast` (that of channel c: fm_dw_chq), through kernel `kind`
 * (constants: the per-channel work is the kernel's alone); returns the first channel not done. */
static inline __attribute__((always_inline)) int32_t fm_dw_run(const fm_conv_params_t *p, const fm_requant_t *rq,
                                                               const int8_t *input, const int8_t *weights,
                                                               const int32_t *bias, int32_t c,
                                                               const fm_dw_copy_t *cp, int8_t *output,
                                                               int32_t kind, int32_t fast) {
    const int32_t plane = cp->plane, oplane = cp->oplane, out_c = p->out_c, pw = cp->pw, rows = cp->rows;
    const int32_t *const mult = rq->mult, each = rq->per_channel != 0, zp = rq->out_zp;
    const int8_t *const shift = rq->shift;
    int8_t *const buf = cp->buf;
    fm_dsp_chq_t q;
    for (; c < out_c && fm_dw_chq(mult[each * c], shift[each * c], bias != 0 ? bias[c] : 0, zp, fast, &q); ++c) {
        fm_dw_kernel(p, &q, input + c * plane, weights + 9 * c, pw, rows, buf, kind, fast, output + c * oplane);
    }
    return c;
}

/* 1 for 3 x 3 windows with stride 2 on an even plane (in = 2 out, the output width even) with padding 0 at top
 * and left: fm_dw_s2e, from the input. */
static int fm_dw_s2_even(const fm_conv_params_t *p) {
    return p->stride_w == 2 && p->stride_h == 2 && p->dil_h == 1 && p->k_h == 3 && p->pad_top == 0 &&
           p->pad_left == 0 && p->in_w == 2 * p->out_w && p->in_h == 2 * p->out_h && p->out_w % 2 == 0;
}

/* Channels from c of a convolution with 3 taps along h whose padded copy fits (cp) while their rule is
 * inline, the kernel chosen once (fm_dw_run), out of line; returns the first channel not done (out_c, or one
 * for the mode's fm_requant). */
static __attribute__((noinline)) int32_t fm_dw_planes(const fm_conv_params_t *p, const fm_requant_t *rq,
                                                      const int8_t *input, const int8_t *weights,
                                                      const int32_t *bias, int32_t c, const fm_dw_copy_t *cp,
                                                      int8_t *output) {
    const int32_t pw = cp->pw;
    fm_dsp_chq_t q;
    const int32_t fast = fm_dsp_chq_load(rq, bias, c, 9, &q), tflm = fast == FM_DSP_TFLM, s = p->stride_w;
    const int rows1 = p->stride_h == 1 && p->dil_h == 1, rows2 = p->stride_h == 2 && p->dil_h == 1;
    const int plane3 = p->in_h == 3 && p->in_w == 3 && p->out_h == 3 && p->out_w == 3 && rows1 && s == 1 &&
                       p->pad_top == 1 && p->pad_left == 1;
    const int plane6s2 = p->in_h == 6 && p->in_w == 6 && p->out_h == 3 && p->out_w == 3 && rows2 && s == 2 &&
                         p->pad_top == 0 && p->pad_left == 0;
    int32_t kind = s == 1 ? FM_DW_PLANE_S1 : FM_DW_PLANE_S2;
    if (fast == 0) return c;
    if (plane3) {
        kind = FM_DW_3X3;
    } else if (plane6s2) {
        kind = FM_DW_6S2;
    } else if (s == 1 && rows1 && p->out_h >= 2) {
        kind = pw == 8 ? FM_DW_ROWS2_8 : FM_DW_ROWS2;
    } else if (fm_dw_s2_even(p)) {
        kind = p->in_w == 12 ? FM_DW_S2E_12 : p->in_w == 24 ? FM_DW_S2E_24 : FM_DW_S2E;
    } else if (s == 2 && rows2) {
        kind = pw == 16 ? FM_DW_S2_16 : pw == 32 ? FM_DW_S2_32 : FM_DW_S2;
    }
#define FM_DW_RUN(k) \
    (tflm ? fm_dw_run(p, rq, input, weights, bias, c, cp, output, k, FM_DSP_TFLM) \
          : fm_dw_run(p, rq, input, weights, bias, c, cp, output, k, FM_DSP_FIXED))
    switch (kind) {
    case FM_DW_3X3: return FM_DW_RUN(FM_DW_3X3);
    case FM_DW_6S2: return FM_DW_RUN(FM_DW_6S2);
    case FM_DW_S2E_12: return FM_DW_RUN(FM_DW_S2E_12);
    case FM_DW_S2E_24: return FM_DW_RUN(FM_DW_S2E_24);
    case FM_DW_S2E: return FM_DW_RUN(FM_DW_S2E);
    case FM_DW_ROWS2_8: return FM_DW_RUN(FM_DW_ROWS2_8);
    case FM_DW_ROWS2: return FM_DW_RUN(FM_DW_ROWS2);
    case FM_DW_S2_16: return FM_DW_RUN(FM_DW_S2_16);
    case FM_DW_S2_32: return FM_DW_RUN(FM_DW_S2_32);
    case FM_DW_S2: return FM_DW_RUN(FM_DW_S2);
    case FM_DW_PLANE_S1: return FM_DW_RUN(FM_DW_PLANE_S1);
    default: return FM_DW_RUN(FM_DW_PLANE_S2);
    }
#undef FM_DW_RUN
}

/* The rule shared by every channel when it is inline (q->fast of each), else 0. */
static int32_t fm_dw_fast_all(const fm_requant_t *rq, const int32_t *bias, int32_t out_c) {
    fm_dsp_chq_t q;
    const int32_t fast = fm_dsp_chq_load(rq, bias, 0, 9, &q);
    int32_t c;
    for (c = 1; c < out_c; ++c) {
        if (fm_dsp_chq_load(rq, bias, c, 9, &q) != fast) return 0;
    }
    return fast;
}

/* Every channel (each with an inline rule) through the padded-plane kernels a band of `band` output rows at
 * a time (the last band ending at out_h, overlapping the one before), each band's input rows copied into
 * cp->buf (its padding columns filled; its rows outside the input filled here). */
static void fm_dw_bands(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                        const int8_t *weights, const int32_t *bias, int32_t band, const fm_dw_copy_t *cp,
                        int8_t *output) {
    const int8_t pad = (int8_t)(-p->in_offset);
    const int32_t rows = cp->rows, pw = cp->pw, last = p->out_h - band;
    fm_conv_params_t b = *p;
    int32_t oh0 = 0;
    b.out_h = band;
    for (;;) {
        const int32_t ih0 = oh0 * p->stride_h - p->pad_top, lo = ih0 > 0 ? ih0 : 0;
        const int32_t hi = ih0 + rows < p->in_h ? ih0 + rows : p->in_h;
        b.pad_top = lo - ih0 < rows ? lo - ih0 : rows;
        b.in_h = hi > lo ? hi - lo : 0;
        fm_dw_pad_fill(pad, pw, b.pad_top, cp->buf);
        fm_dw_pad_fill(pad, pw, rows - b.pad_top - b.in_h, cp->buf + (b.pad_top + b.in_h) * pw);
        fm_dw_planes(&b, rq, input + lo * p->in_w, weights, bias, 0, cp, output + oh0 * p->out_w);
        if (oh0 == last) return;
        oh0 = oh0 + band < last ? oh0 + band : last;
    }
}

/* Output rows of one channel (stride along w a constant in each call, for the tap code). */
static void fm_dw_channel(fm_dw_t *d, const int8_t *x, const int16x2_t *w02, const int16x2_t *w1,
                          const fm_conv_params_t *p, const fm_dsp_chq_t *q, const fm_requant_t *rq,
                          const int32_t *bias, int32_t c, int8_t *out) {
    const int32_t k_h = d->k_h, in_h = p->in_h, out_h = p->out_h, stride_h = p->stride_h, dil_h = p->dil_h;
    const int32_t pad_top = p->pad_top, in_w = d->in_w;
    int32_t oh, kh;
    for (oh = 0; oh < out_h; ++oh, out += d->out_w) {
        for (kh = 0; kh < k_h; ++kh) { /* rows outside the input: zero weights, row 0 read */
            const int32_t ih = oh * stride_h - pad_top + kh * dil_h;
            const int ok = ih >= 0 && ih < in_h;
            d->row[kh] = ok ? x + ih * in_w : x;
            d->w02[kh] = ok ? w02[kh] : 0;
            d->w1[kh] = ok ? w1[kh] : 0;
        }
        if (k_h != 3 || !q->fast) { /* other taps, or the mode's fm_requant: a loop over the taps */
            if (d->stride == 1) {
                fm_dw_outrow(d, q, rq, bias, c, 1, 0, q->fast, out);
            } else {
                fm_dw_outrow(d, q, rq, bias, c, 2, 0, q->fast, out);
            }
        } else if (d->stride == 1) { /* the inline rules: taps written out */
            if (q->fast == FM_DSP_FIXED) {
                fm_dw_outrow(d, q, rq, bias, c, 1, 1, FM_DSP_FIXED, out);
            } else {
                fm_dw_outrow(d, q, rq, bias, c, 1, 1, FM_DSP_TFLM, out);
            }
        } else if (q->fast == FM_DSP_FIXED) {
            fm_dw_outrow(d, q, rq, bias, c, 2, 1, FM_DSP_FIXED, out);
        } else {
            fm_dw_outrow(d, q, rq, bias, c, 2, 1, FM_DSP_TFLM, out);
        }
    }
}

static void fm_dsp_conv_dw(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
                    const int32_t *bias, void *scratch, int8_t *output) {
    fm_dw_t d;
    fm_dsp_chq_t q;
    fm_conv_params_t pp = *p;
    int16x2_t w02[FM_DSP_DW_KH], w1[FM_DSP_DW_KH];
    int8_t *buf = (int8_t *)scratch; /* FM_DSP_DW_PLANE bytes, used for small planes */
    const int32_t k_h = p->k_h, plane = p->in_h * p->in_w, oplane = p->out_h * p->out_w, w_offset = p->w_offset;
    int32_t c, kh, rows = 0;
    const int32_t pw = fm_dsp_dw_plane(p, &rows);
    fm_dw_copy_t cp = {buf, pw, rows, plane, oplane};
    const int32_t band = pw == 0 && k_h == 3 ? fm_dw_band(p, &cp.pw, &cp.rows) : 0;
    if (band > 0 && fm_dw_s2_even(p) && fm_dw_fast_all(rq, bias, p->out_c)) { /* from the input, no copy */
        fm_dw_planes(p, rq, input, weights, bias, 0, &cp, output);
        return;
    }
    if (band > 0 && fm_dw_fast_all(rq, bias, p->out_c)) { /* larger planes, inline rules: bands of rows */
        fm_dw_pad_fill((int8_t)(-p->in_offset), cp.pw, cp.rows, buf);
        fm_dw_bands(p, rq, input, weights, bias, band, &cp, output);
        return;
    }
    d.pad = (int8_t)(-p->in_offset);
    if (pw > 0) { /* small planes: every pair inside the padded copy */
        pp.in_h = rows;
        pp.in_w = pw;
        pp.pad_top = 0;
        pp.pad_left = 0;
        fm_dw_pad_fill((int8_t)(-p->in_offset), pw, rows, buf);
    }
    d.in_w = pp.in_w;
    d.out_w = p->out_w;
    d.stride = p->stride_w;
    d.pad_left = pp.pad_left;
    d.in_offset = p->in_offset;
    d.k_h = k_h;
    d.xo = fm_dsp_pair(p->in_offset);
    for (kh = k_h; kh < 3; ++kh) { /* the written-out 3-tap code reads 3 rows */
        d.row[kh] = input;
        d.w02[kh] = 0;
        d.w1[kh] = 0;
    }
    for (c = 0; c < p->out_c; ++c) {
        const int8_t *w = weights + c * k_h * 3, *x = input + c * plane;
        if (pw > 0 && k_h == 3) { /* runs of channels with an inline rule: the padded-plane kernels */
            c = fm_dw_planes(p, rq, input, weights, bias, c, &cp, output);
            if (c == p->out_c) break;
            w = weights + c * 9;
            x = input + c * plane;
        }
        fm_dsp_chq_load(rq, bias, c, k_h * 3, &q);
        for (kh = 0; kh < k_h; ++kh, w += 3) {
            const uint32_t w0 = (uint16_t)(w[0] + w_offset), w2 = (uint16_t)(w[2] + w_offset);
            w02[kh] = (int16x2_t)(w0 | w2 << 16);
            w1[kh] = (int16x2_t)(uint16_t)(w[1] + w_offset);
        }
        if (pw > 0) {
            fm_dw_pad_copy(p, x, pw, rows, buf);
            x = buf;
        }
        fm_dw_channel(&d, x, w02, w1, &pp, &q, rq, bias, c, output + c * oplane);
    }
}

/* Shapes off this path (never emitted by the compiler for this entry), NULL arguments and bad params
 * go to fm_conv_s8. */
fm_status_t fm_conv_dw_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
                  const int32_t *bias, void *scratch, int8_t *output) {
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0 || !fm_dsp_dw_ok(p)) {
        return fm_conv_s8(p, rq, input, weights, bias, scratch, output);
    }
    fm_dsp_conv_dw(p, rq, input, weights, bias, scratch, output);
    return FM_OK;
}
