/* flightml DSP kernels: the fast path for Conv1d-style layers with 3 taps, stride 1 and no dilation
 * along w (the 'same' convolutions of the SpectrumNet family), plain or fused with a 2-wide max pool.
 * Hand-written, C99 + ACLE. Same results as kernels/portable/conv.c.
 *
 * Two neighbouring output positions a = ow and b = ow + 1 read the four inputs x[s .. s + 3],
 * s = ow - pad_left, of every input row: one word, widened once per row into lo = (x0, x2) and
 * hi = (x1, x3) (with the input offset). With one word of weights per row widened into
 * W02 = (w0, w2) and W13 = (w1, .):
 *   a = x0 w0 + x1 w1 + x2 w2 = SMLAD(lo, W02) + SMLABB(hi, W13)
 *   b = x1 w0 + x2 w1 + x3 w2 = SMLAD(hi, W02) + SMLATB(lo, W13)
 * so 4 multiply instructions give 6 MACs, and each weight word serves both positions. Weights are
 * widened once per pair of channels and tile of windows (a small stack buffer), inputs once per
 * window, so the inner loop is loads and multiply-accumulates only. The lane of W13 holding the next
 * row's first weight is never used; the very last row of the weight tensor is read byte by byte so
 * nothing past it is read. Input words that reach into the padding are built
 * byte by byte with the input zero point, which widens to 0. */
#include "fm_dsp_conv.h"

#define FM_PAIR_ROWS 16 /* input rows (in_c / groups x k_h) per patch on this path */

int fm_dsp_pair_ok(const fm_conv_params_t *p) {
    return p->k_w == 3 && p->stride_w == 1 && p->dil_w == 1 && (p->in_c / p->groups) * p->k_h <= FM_PAIR_ROWS;
}

/* x[s .. s + 3] of one input row, the zero point standing in for positions outside [0, in_w). */
static uint32_t fm_pair_xword(const int8_t *row, int32_t s, int32_t in_w, int8_t pad) {
    uint32_t v = 0;
    int32_t i;
    if (s >= 0 && s + 4 <= in_w) return fm_dsp_ld4(row + s);
    for (i = 0; i < 4; ++i) v |= (uint32_t)(uint8_t)((s + i >= 0 && s + i < in_w) ? row[s + i] : pad) << (8 * i);
    return v;
}

/* Widened input words of the window at (oh, ow) for channel group g: xw[2r] = lo, xw[2r + 1] = hi
 * for row r = ic * k_h + kh (rows outside the input along h, all padding, widen to 0). */
static void fm_pair_widen(const fm_conv_params_t *p, const int8_t *input, int32_t g, int32_t oh, int32_t ow,
                          int16x2_t *xw) {
    const int16x2_t xo = fm_dsp_pair(p->in_offset);
    const int8_t pad = (int8_t)(-p->in_offset);
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t plane = p->in_h * p->in_w;
    const int32_t step = 2 * p->k_h;
    const int32_t s = ow - p->pad_left;
    const int interior = s >= 0 && s + 4 <= p->in_w;
    int32_t kh, ic;
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
        const int8_t *row = input + g * cin_g * plane + ih * p->in_w;
        int16x2_t *dst = xw + 2 * kh;
        for (ic = 0; ic < cin_g; ++ic, row += plane, dst += step) {
            uint32_t v;
            if (ih < 0 || ih >= p->in_h) {
                dst[0] = dst[1] = 0;
                continue;
            }
            v = interior ? fm_dsp_ld4(row + s) : fm_pair_xword(row, s, p->in_w, pad);
            dst[0] = __sxtab16(xo, (int8x4_t)v);
            dst[1] = fm_dsp_hi(xo, v);
        }
    }
}

/* The 3 weights at w as a word, read byte by byte (the last row of the weight tensor). */
static uint32_t fm_pair_wlast(const int8_t *w) {
    return (uint32_t)(uint8_t)w[0] | ((uint32_t)(uint8_t)w[1] << 8) | ((uint32_t)(uint8_t)w[2] << 16);
}

/* Widened weights of channels c0 and c1, per row: W02 and W13 of c0, then of c1; the last row of the
 * weight tensor is read byte by byte when `last_safe`. */
static void fm_pair_weights(const int8_t *w0, const int8_t *w1, int32_t rows, int16x2_t wo, int last_safe,
                            int16x2_t *wq) {
    int32_t r;
    for (r = 0; r < rows; ++r, w0 += 3, w1 += 3, wq += 4) {
        const int safe = last_safe && r == rows - 1;
        const uint32_t v0 = safe ? fm_pair_wlast(w0) : fm_dsp_ld4(w0);
        const uint32_t v1 = safe ? fm_pair_wlast(w1) : fm_dsp_ld4(w1);
        wq[0] = __sxtab16(wo, (int8x4_t)v0);
        wq[1] = fm_dsp_hi(wo, v0);
        wq[2] = __sxtab16(wo, (int8x4_t)v1);
        wq[3] = fm_dsp_hi(wo, v1);
    }
}

/* acc = {a.c0, b.c0, a.c1, b.c1} of one window: x words xw (lo, hi per row) against the widened
 * weights wq (4 words per row). */
static inline void fm_pair_mac(const int16x2_t *xw, const int16x2_t *wq, int32_t rows, int32_t acc[4]) {
    const int16x2_t *end = wq + 4 * rows;
    int32_t a0 = 0, b0 = 0, a1 = 0, b1 = 0;
#pragma GCC unroll 2
    while (wq != end) {
        const int16x2_t lo = xw[0], hi = xw[1];
        a0 = __smlabb(hi, wq[1], __smlad(lo, wq[0], a0));
        b0 = __smlatb(lo, wq[1], __smlad(hi, wq[0], b0));
        a1 = __smlabb(hi, wq[3], __smlad(lo, wq[2], a1));
        b1 = __smlatb(lo, wq[3], __smlad(hi, wq[2], b1));
        xw += 2;
        wq += 4;
    }
    acc[0] = a0;
    acc[1] = b0;
    acc[2] = a1;
    acc[3] = b1;
}

/* fm_pair_mac for single-row patches (one input channel, k_h = 1), all windows: weights stay in
 * registers. */
static void fm_pair_mac_row1(const int16x2_t *xt, const int16x2_t *wq, int32_t n_win, int32_t (*acc)[4]) {
    const int16x2_t q0 = wq[0], q1 = wq[1], q2 = wq[2], q3 = wq[3];
    int32_t w;
    for (w = 0; w < n_win; ++w, xt += 2) {
        const int16x2_t lo = xt[0], hi = xt[1];
        acc[w][0] = __smlabb(hi, q1, __smlad(lo, q0, 0));
        acc[w][1] = __smlatb(lo, q1, __smlad(hi, q0, 0));
        acc[w][2] = __smlabb(hi, q3, __smlad(lo, q2, 0));
        acc[w][3] = __smlatb(lo, q3, __smlad(hi, q2, 0));
    }
}

#define FM_PAIR_TILE 128 /* widened input rows per tile (windows x rows): 1 KB */
#define FM_PAIR_WIN 16  /* windows per tile */

/* A window: output positions (oh, ow) and (oh, ow + 1); results go to plane index dst (and dst + 1
 * for b when has_b; pooled windows write max(a, b) to dst). */
typedef struct {
    int32_t oh, ow, dst, has_b;
} fm_window_t;

/* Requantize and store column k (channel c) of the tile's accumulators {a.c0, b.c0, a.c1, b.c1}. */
static void fm_pair_out(const int32_t (*acc)[4], int32_t k, const fm_window_t *win, int32_t n_win,
                        const fm_requant_t *rq, int32_t c, const int32_t *bias, int pooled, int32_t plane,
                        int8_t *output) {
    fm_dsp_rq_t q;
    const int32_t b = bias != 0 ? bias[c] : 0;
    const int fold = pooled && fm_dsp_monotonic(rq, c);
    int8_t *out = output + c * plane;
    int32_t w;
    fm_dsp_rq_load(rq, c, &q);
    if (q.fast && q.lo == -128 && q.hi == 127 && (fold || !pooled)) {
        const int32_t mult = q.mult, round_hi = q.round_hi, rshift = q.rshift, zp = q.zp;
        if (fold) {
            for (w = 0; w < n_win; ++w) {
                const int32_t va = acc[w][2 * k], vb = acc[w][2 * k + 1];
                out[win[w].dst] = (int8_t)fm_dsp_rq_sat8(__qadd(va > vb ? va : vb, b), mult, round_hi, rshift, zp);
            }
            return;
        }
        for (w = 0; w < n_win; ++w) {
            int8_t *o = out + win[w].dst;
            o[0] = (int8_t)fm_dsp_rq_sat8(__qadd(acc[w][2 * k], b), mult, round_hi, rshift, zp);
            if (win[w].has_b) o[1] = (int8_t)fm_dsp_rq_sat8(__qadd(acc[w][2 * k + 1], b), mult, round_hi, rshift, zp);
        }
        return;
    }
    for (w = 0; w < n_win; ++w) {
        const int32_t ya = fm_dsp_rq_apply(&q, __qadd(acc[w][2 * k], b));
        const int32_t yb = fm_dsp_rq_apply(&q, __qadd(acc[w][2 * k + 1], b));
        if (pooled) {
            out[win[w].dst] = (int8_t)(ya > yb ? ya : yb);
        } else {
            out[win[w].dst] = (int8_t)ya;
            if (win[w].has_b) out[win[w].dst + 1] = (int8_t)yb;
        }
    }
}

/* All output channels of group g for the tile's windows. */
static void fm_pair_tile(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                         const int8_t *weights, const int32_t *bias, int32_t g, const fm_window_t *win,
                         int32_t n_win, int pooled, int32_t plane, int8_t *output) {
    int16x2_t xt[2 * FM_PAIR_TILE];
    int16x2_t wq[4 * FM_PAIR_ROWS];
    int32_t acc[FM_PAIR_WIN][4];
    const int32_t rows = (p->in_c / p->groups) * p->k_h;
    const int32_t cout_g = p->out_c / p->groups;
    const int16x2_t wo = fm_dsp_pair(p->w_offset);
    int32_t w, c0;
    for (w = 0; w < n_win; ++w) fm_pair_widen(p, input, g, win[w].oh, win[w].ow, xt + 2 * rows * w);
    for (c0 = g * cout_g; c0 < (g + 1) * cout_g; c0 += 2) {
        const int32_t c1 = c0 + 1 < (g + 1) * cout_g ? c0 + 1 : c0;
        fm_pair_weights(weights + c0 * rows * 3, weights + c1 * rows * 3, rows, wo, c1 == p->out_c - 1, wq);
        if (rows == 1) {
            fm_pair_mac_row1(xt, wq, n_win, acc);
        } else {
            for (w = 0; w < n_win; ++w) fm_pair_mac(xt + 2 * rows * w, wq, rows, acc[w]);
        }
        fm_pair_out(acc, 0, win, n_win, rq, c0, bias, pooled, plane, output);
        if (c1 != c0) fm_pair_out(acc, 1, win, n_win, rq, c1, bias, pooled, plane, output);
    }
}

void fm_dsp_conv_pairs(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                       const int8_t *weights, const int32_t *bias, int pooled, int8_t *output) {
    fm_window_t win[FM_PAIR_WIN];
    const int32_t rows = (p->in_c / p->groups) * p->k_h;
    const int32_t per_tile = FM_PAIR_TILE / rows < FM_PAIR_WIN ? FM_PAIR_TILE / rows : FM_PAIR_WIN;
    const int32_t out_w = pooled ? p->out_w / 2 : p->out_w;
    const int32_t plane = p->out_h * out_w;
    int32_t g, oh, i, n;
    for (g = 0; g < p->groups; ++g) {
        n = 0;
        for (oh = 0; oh < p->out_h; ++oh) {
            for (i = 0; i < out_w; i += pooled ? 1 : 2) {
                win[n].oh = oh;
                win[n].ow = pooled ? 2 * i : i;
                win[n].dst = oh * out_w + i;
                win[n].has_b = win[n].ow + 1 < p->out_w;
                if (++n == per_tile) {
                    fm_pair_tile(p, rq, input, weights, bias, g, win, n, pooled, plane, output);
                    n = 0;
                }
            }
        }
        if (n > 0) fm_pair_tile(p, rq, input, weights, bias, g, win, n, pooled, plane, output);
    }
}
