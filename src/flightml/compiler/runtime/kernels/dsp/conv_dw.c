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
 * Small planes (the narrow layers of KWS and VWW; rows narrower than 4 included) are first copied into
 * a padded plane in the scratch (FM_DSP_DW_PLANE bytes, the padding filled with the zero point once per
 * layer): no border pairs, no rows outside, and with 3 taps along h and an inline rule an out-of-line
 * loop (fm_dw_plane3). */
#include "fm_dsp_conv.h"

#define FM_DSP_DW_KH 8 /* taps along h on this path */

#define FM_DSP_DW_PLANE 256 /* bytes of the padded copy of a small channel plane (scratch) */

/* Width and rows of the padded copy of one channel plane (pad_left zero points, the input row, zero
 * points up to the last pair's reads, a multiple of 4 wide; pad_top rows of zero points, the input rows,
 * zero-point rows down to the last output row's window), or 0 when it exceeds FM_DSP_DW_PLANE. */
static int32_t fm_dsp_dw_plane(const fm_conv_params_t *p, int32_t *rows) {
    const int32_t reach = (p->out_w - 2) * p->stride_w + 3 + p->stride_w;
    int32_t w = p->pad_left + p->in_w > reach ? p->pad_left + p->in_w : reach;
    if (p->out_h > FM_DSP_DW_PLANE || p->stride_h > FM_DSP_DW_PLANE || p->dil_h > FM_DSP_DW_PLANE ||
        p->out_w > FM_DSP_DW_PLANE || p->in_w > FM_DSP_DW_PLANE || p->pad_left > FM_DSP_DW_PLANE) {
        return 0;
    }
    w = (w + 3) & ~3;
    *rows = (p->out_h - 1) * p->stride_h + (p->k_h - 1) * p->dil_h + 1;
    return *rows * w <= FM_DSP_DW_PLANE ? w : 0;
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

/* x[s .. s + 3] of one input row of at least 4 values when it reaches past one end by 1 to 3 values
 * (-3 <= s < 0 or in_w - 4 < s < in_w), the zero point standing in for them: one word, shifted. */
static inline __attribute__((always_inline)) uint32_t fm_dw_edge(const int8_t *row, int32_t s, int32_t in_w, int8_t pad) {
    const uint32_t pads = (uint32_t)(uint8_t)pad * 0x01010101u;
    if (s < 0) return fm_dsp_ld4(row) << (-8 * s) | pads >> (32 + 8 * s);
    return fm_dsp_ld4(row + in_w - 4) >> (8 * (s + 4 - in_w)) | pads << (32 - 8 * (s + 4 - in_w));
}

/* The contribution of v = x[s .. s + 3] (and x4 = x[s + 4] + in_offset for stride 2) to the pair (a, b). */
static inline __attribute__((always_inline)) void fm_dw_word(int16x2_t xo, uint32_t v, int32_t x4, int16x2_t w02,
                                                             int16x2_t w1, int32_t stride, int32_t *a, int32_t *b) {
    const int16x2_t lo = __sxtab16(xo, (int8x4_t)v), hi = fm_dsp_hi(xo, v);
    *a = __smlabb(hi, w1, __smlad(lo, w02, *a));
    if (stride == 1) {
        *b = __smlatb(lo, w1, __smlad(hi, w02, *b));
    } else {
        *b = __smlabt(x4, w02, __smlatb(hi, w1, __smlatb(lo, w02, *b)));
    }
}

/* acc plus the output at x[0 .. 2] of v = x[0 .. 3] (the odd last output of a row). */
static inline __attribute__((always_inline)) int32_t fm_dw_one(int16x2_t xo, uint32_t v, int16x2_t w02, int16x2_t w1,
                                                               int32_t acc) {
    return __smlabb(fm_dsp_hi(xo, v), w1, __smlad(__sxtab16(xo, (int8x4_t)v), w02, acc));
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

/* One channel of a 3-tap-along-h convolution from its padded copy buf (pw wide: every pair inside),
 * everything in registers (the output stores could alias a struct); stride and fast (an inline rule) are
 * constants; an odd width computes its last output alone. */
static inline __attribute__((always_inline)) void fm_dw_plane3(const fm_dw_t *d, const int8_t *buf, int32_t pw,
                                                               const fm_conv_params_t *p, const fm_dsp_chq_t *q,
                                                               int32_t stride, int32_t fast, int32_t tap_step,
                                                               int8_t *out) {
    const int16x2_t w02_0 = d->w02[0], w02_1 = d->w02[1], w02_2 = d->w02[2];
    const int16x2_t w1_0 = d->w1[0], w1_1 = d->w1[1], w1_2 = d->w1[2];
    const int32_t out_w = d->out_w, out_h = p->out_h, last = out_w - 2, init = q->init, in_offset = d->in_offset;
    const int32_t row_step = p->stride_h * pw, step = stride == 1 ? 2 : 4;
    const int32_t mult = q->mult, add = q->add, rshift = q->rshift;
    const int16x2_t xo = d->xo;
    const int8_t *const end = buf + out_h * row_step;
    for (; buf != end; buf += row_step, out += out_w) {
        const int8_t *x = buf;
        int32_t ow = 0;
        for (;;) {
            int32_t a = init, b = init;
            fm_dw_word(xo, fm_dsp_ld4(x), stride == 1 ? 0 : x[4] + in_offset, w02_0, w1_0, stride, &a, &b);
            fm_dw_word(xo, fm_dsp_ld4(x + tap_step), stride == 1 ? 0 : x[tap_step + 4] + in_offset, w02_1, w1_1,
                       stride, &a, &b);
            fm_dw_word(xo, fm_dsp_ld4(x + 2 * tap_step), stride == 1 ? 0 : x[2 * tap_step + 4] + in_offset, w02_2,
                       w1_2, stride, &a, &b);
            out[ow] = fm_dsp_rqk(a, fast, mult, add, rshift);
            out[ow + 1] = fm_dsp_rqk(b, fast, mult, add, rshift);
            ow += 2;
            x += step;
            if (ow >= out_w) break;
            if (ow > last) { /* odd width: the last output alone */
                a = fm_dw_one(xo, fm_dsp_ld4(x), w02_0, w1_0, init);
                a = fm_dw_one(xo, fm_dsp_ld4(x + tap_step), w02_1, w1_1, a);
                a = fm_dw_one(xo, fm_dsp_ld4(x + 2 * tap_step), w02_2, w1_2, a);
                out[ow] = fm_dsp_rqk(a, fast, mult, add, rshift);
                break;
            }
        }
    }
}

/* fm_dw_plane3 with stride and fast (an inline rule) as constants, out of line (its loop keeps its values
 * in registers). */
static __attribute__((noinline)) void fm_dw_plane3_call(const fm_dw_t *d, const int8_t *buf, int32_t pw,
                                                        const fm_conv_params_t *p, const fm_dsp_chq_t *q,
                                                        int8_t *out) {
    const int32_t tap = p->dil_h * pw, fast = q->fast;
    if (tap == 8 && d->stride == 1 && fast == FM_DSP_FIXED) { /* rows of up to 6 outputs: constant offsets */
        fm_dw_plane3(d, buf, pw, p, q, 1, FM_DSP_FIXED, 8, out);
    } else if (tap == 8 && d->stride == 1 && fast == FM_DSP_TFLM) {
        fm_dw_plane3(d, buf, pw, p, q, 1, FM_DSP_TFLM, 8, out);
    } else if (d->stride == 1 && fast == FM_DSP_FIXED) {
        fm_dw_plane3(d, buf, pw, p, q, 1, FM_DSP_FIXED, tap, out);
    } else if (d->stride == 1 && fast == FM_DSP_TFLM) {
        fm_dw_plane3(d, buf, pw, p, q, 1, FM_DSP_TFLM, tap, out);
    } else if (fast == FM_DSP_FIXED) {
        fm_dw_plane3(d, buf, pw, p, q, 2, FM_DSP_FIXED, tap, out);
    } else {
        fm_dw_plane3(d, buf, pw, p, q, 2, FM_DSP_TFLM, tap, out);
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
    const int16x2_t e0 = __sxtab16(wo, (int8x4_t)v0), d0 = fm_dsp_hi(wo, v0);
    const int16x2_t e1 = __sxtab16(wo, (int8x4_t)v1), d1 = fm_dsp_hi(wo, v1);
    const int16x2_t e2 = __sxtab16(wo, (int8x4_t)v2), d2 = fm_dsp_hi(wo, v2);
    const int16x2_t a0 = fm_dw_pkbb(e0, d0), b0 = fm_dw_pktb(e0, d0);
    const int16x2_t a1 = fm_dw_pkbb(e1, d1), b1 = fm_dw_pktb(e1, d1);
    const int16x2_t a2 = fm_dw_pkbb(e2, d2), b2 = fm_dw_pktb(e2, d2);
    const int32_t init = q->init, mult = q->mult, add = q->add, rshift = q->rshift;
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
    for (i = 0; i < 9; ++i) out[i] = fm_dsp_rqk(o[i], fast, mult, add, rshift);
}

/* fm_dw3x3 with the inline rule q->fast (not 0) as a constant, out of line (few live values). */
static __attribute__((noinline)) void fm_dw3x3_call(const int8_t *x, const int8_t *w, int16x2_t xo, int16x2_t wo,
                                                    const fm_dsp_chq_t *q, int8_t *out) {
    if (q->fast == FM_DSP_FIXED) {
        fm_dw3x3(x, w, xo, wo, q, FM_DSP_FIXED, out);
    } else {
        fm_dw3x3(x, w, xo, wo, q, FM_DSP_TFLM, out);
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

/* The padded copy buf (width w, `rows` rows) filled with zero points: its padding, for every channel. */
static void fm_dw_pad_fill(int8_t pad, int32_t w, int32_t rows, int8_t *buf) {
    const uint32_t pads = (uint32_t)(uint8_t)pad * 0x01010101u;
    int32_t i;
    for (i = 0; i < w * rows; i += 4) __builtin_memcpy(buf + i, &pads, 4);
}

/* The input rows of a channel plane x into its padded copy buf (width w, `rows` rows). */
static void fm_dw_pad_copy(const fm_conv_params_t *p, const int8_t *x, int32_t w, int32_t rows, int8_t *buf) {
    const int32_t in_w = p->in_w, pad_top = p->pad_top;
    int32_t i, r;
    for (r = pad_top; r < rows && r - pad_top < p->in_h; ++r) {
        int8_t *row = buf + r * w + p->pad_left;
        const int8_t *src = x + (r - pad_top) * in_w;
        for (i = 0; i + 4 <= in_w; i += 4) __builtin_memcpy(row + i, src + i, 4);
        for (; i < in_w; ++i) row[i] = src[i];
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
    const int16x2_t wo = fm_dsp_pair(w_offset);
    const int plane3 = p->in_h == 3 && p->in_w == 3 && p->out_h == 3 && p->out_w == 3 && k_h == 3 &&
                       p->stride_h == 1 && p->stride_w == 1 && p->dil_h == 1 && p->pad_top == 1 && p->pad_left == 1;
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
        fm_dsp_chq_load(rq, bias, c, k_h * 3, &q);
        if (plane3 && q.fast) { /* an inline rule: all 9 outputs in registers */
            fm_dw3x3_call(x, w, d.xo, wo, &q, output + c * oplane);
            continue;
        }
        for (kh = 0; kh < k_h; ++kh, w += 3) {
            const uint32_t w0 = (uint16_t)(w[0] + w_offset), w2 = (uint16_t)(w[2] + w_offset);
            w02[kh] = (int16x2_t)(w0 | w2 << 16);
            w1[kh] = (int16x2_t)(uint16_t)(w[1] + w_offset);
        }
        if (pw > 0) {
            fm_dw_pad_copy(p, x, pw, rows, buf);
            x = buf;
        }
        if (pw > 0 && k_h == 3 && q.fast) { /* the mode's fm_requant: the row loop below */
            d.w02[0] = w02[0];
            d.w02[1] = w02[1];
            d.w02[2] = w02[2];
            d.w1[0] = w1[0];
            d.w1[1] = w1[1];
            d.w1[2] = w1[2];
            fm_dw_plane3_call(&d, buf, pw, p, &q, output + c * oplane);
            continue;
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
