/* flightml DSP kernels: the fast path for Conv1d-style layers with 3 taps, stride 1 and no dilation
 * along w (the 'same' convolutions of the SpectrumNet family), plain or fused with a 2-wide max pool.
 * Hand-written, C99 + ACLE. Same results as kernels/portable/conv.c.
 *
 * Two neighbouring output positions a = ow and b = ow + 1 (a window) read the four inputs
 * x[s .. s + 3], s = ow - pad_left, of every input row: one word, widened once per row into
 * lo = (x0, x2) and hi = (x1, x3) (with the input offset). With one word of weights per row widened
 * into W02 = (w0, w2) and W13 = (w1, .):
 *   a = x0 w0 + x1 w1 + x2 w2 = SMLAD(lo, W02) + SMLABB(hi, W13)
 *   b = x1 w0 + x2 w1 + x3 w2 = SMLAD(hi, W02) + SMLATB(lo, W13)
 * so 4 multiply instructions give 6 MACs, and each weight word serves both positions. Inputs are
 * widened once per tile of windows (up to 1 KB of scratch), weights once per pair of channels and
 * tile, so the inner loop is loads and multiply-accumulates only; each window's four accumulators
 * (two positions x two channels) are requantized and stored straight from registers. The lane of
 * W13 holding the next row's first weight is never used; the very last row of the weight tensor is
 * read byte by byte so nothing past it is read. Input words that reach into the padding are built
 * byte by byte with the input zero point, which widens to 0. Plain convolutions with an odd output
 * width compute their last window at out_w - 2 (one position twice, same value).
 *
 * Requantization: channels the int8 rule of fm_dsp.h applies to (fixedpoint constants, the usual
 * shifts, full int8 clamp) with a bias far enough from the int32 limits that bias + sum cannot
 * saturate start their accumulators at the bias (equal to the saturating addition after the sum in
 * that range) and take SMMLA, shift and SSAT per output; a pooled pair takes max(a, b) first (the
 * rule is non-decreasing: max(rq(a), rq(b)) == rq(max(a, b))). Any other channel (ort-int, ort-exact,
 * other clamps or shifts) takes the general path: the bias
 * added with saturation, the mode's fm_requant per position, then the max. */
#include "fm_dsp_conv.h"

#define FM_PAIR_ROWS 16  /* input rows (in_c / groups x k_h) per patch on this path */
#define FM_PAIR_TILE 128 /* widened input rows per tile (windows x rows): up to 1 KB of scratch */
#define FM_PAIR_WIN 32   /* windows per tile */

int fm_dsp_pair_ok(const fm_conv_params_t *p) {
    if (p->groups < 1 || p->in_c % p->groups != 0 || p->out_c % p->groups != 0) return 0;
    if (p->stride_h < 1 || p->dil_h < 1) return 0;
    return p->k_w == 3 && p->stride_w == 1 && p->dil_w == 1 && p->out_w >= 2 &&
           (p->in_c / p->groups) * p->k_h <= FM_PAIR_ROWS;
}

int fm_dsp_pool_pair_ok(const fm_conv_params_t *p, const fm_pool_params_t *pool) {
    return fm_dsp_pair_ok(p) && pool->k_h == 1 && pool->k_w == 2 && pool->stride_h == 1 && pool->stride_w == 2 &&
           pool->dil_w == 1 && pool->pad_top == 0 && pool->pad_left == 0 && pool->in_h == p->out_h &&
           pool->in_w == p->out_w && pool->out_h == p->out_h && pool->out_w == p->out_w / 2;
}

/* Int8-rule constants of one channel and the bias as the accumulators' initial value. */
typedef struct {
    int32_t init, mult, add, rshift;
} fm_pair_rq_t;

/* The constants of channel c; 1 when the int8 rule applies and bias + sum cannot saturate (|sum of
 * products| <= maxsum). */
static int fm_pair_rq(const fm_requant_t *rq, const int32_t *bias, int32_t c, int32_t maxsum, fm_pair_rq_t *q) {
    fm_dsp_rq8_t r;
    const int32_t b = bias != 0 ? bias[c] : 0;
    if (!fm_dsp_rq8_load(rq, c, &r) || b > INT32_MAX - maxsum || b < INT32_MIN + maxsum) return 0;
    q->init = b;
    q->mult = r.mult;
    q->add = r.add;
    q->rshift = r.rshift;
    return 1;
}

/* What the tiles need of one convolution (copied out of the params: stores into the int32-typed
 * widened buffers could alias them otherwise). */
typedef struct {
    const int8_t *input; /* first input channel of the current group */
    int32_t cin_g, k_h, in_h, in_w, plane, stride_h, dil_h, pad_top, pad_left, in_offset;
    int32_t rows;        /* cin_g * k_h */
    int32_t out_w, out_h; /* convolution output size */
    int32_t wpr;         /* windows per output row */
    int32_t dst_w;       /* output row width (pooled: out_w / 2) */
    int32_t pooled;
} fm_pair_ctx_t;

/* x[s .. s + 3] of one input row, the zero point standing in for positions outside [0, in_w). */
static uint32_t fm_pair_xword(const int8_t *row, int32_t s, int32_t in_w, int8_t pad) {
    uint32_t v = 0;
    int32_t i;
    for (i = 0; i < 4; ++i) v |= (uint32_t)(uint8_t)((s + i >= 0 && s + i < in_w) ? row[s + i] : pad) << (8 * i);
    return v;
}

/* Input rows of output row oh, per patch row r = ic * k_h + kh (NULL: outside the input along h). */
static void fm_pair_rows(const fm_pair_ctx_t *k, int32_t oh, const int8_t **rowp) {
    int32_t ic, kh;
    for (ic = 0; ic < k->cin_g; ++ic) {
        for (kh = 0; kh < k->k_h; ++kh) {
            const int32_t ih = oh * k->stride_h - k->pad_top + kh * k->dil_h;
            *rowp++ = ih >= 0 && ih < k->in_h ? k->input + ic * k->plane + ih * k->in_w : 0;
        }
    }
}

/* Widened inputs of windows n0 .. n0 + n_win - 1 (row-major over output rows): per window, lo and hi
 * of patch row r at xt[2r], xt[2r + 1] (rows outside the input along h widen to 0); the windows'
 * output offsets go to dst. */
static void fm_pair_widen(const fm_pair_ctx_t *k, int32_t n0, int32_t n_win, int16x2_t *xt, int32_t *dst) {
    const int8_t *rowp[FM_PAIR_ROWS];
    const int16x2_t xo = fm_dsp_pair(k->in_offset);
    const int8_t pad = (int8_t)(-k->in_offset);
    const int32_t rows = k->rows, in_w = k->in_w, pad_left = k->pad_left, wpr = k->wpr, dst_w = k->dst_w;
    const int32_t last = k->out_w - 2, pooled = k->pooled;
    int32_t oh = n0 / wpr, j = n0 - oh * wpr, w, r;
    fm_pair_rows(k, oh, rowp);
    for (w = 0; w < n_win; ++w) {
        const int32_t ow = pooled || 2 * j <= last ? 2 * j : last;
        const int32_t s = ow - pad_left;
        dst[w] = oh * dst_w + (pooled ? j : ow);
        if (s >= 0 && s + 4 <= in_w) {
            for (r = 0; r < rows; ++r, xt += 2) {
                const int8_t *row = rowp[r];
                const uint32_t v = row != 0 ? fm_dsp_ld4(row + s) : 0u;
                xt[0] = row != 0 ? __sxtab16(xo, (int8x4_t)v) : 0;
                xt[1] = row != 0 ? fm_dsp_hi(xo, v) : 0;
            }
        } else {
            for (r = 0; r < rows; ++r, xt += 2) {
                const int8_t *row = rowp[r];
                const uint32_t v = row != 0 ? fm_pair_xword(row, s, in_w, pad) : 0u;
                xt[0] = row != 0 ? __sxtab16(xo, (int8x4_t)v) : 0;
                xt[1] = row != 0 ? fm_dsp_hi(xo, v) : 0;
            }
        }
        if (++j == wpr) {
            j = 0;
            if (++oh < k->out_h) fm_pair_rows(k, oh, rowp);
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

/* The four accumulators {a.c0, b.c0, a.c1, b.c1} of one window: acc += x words xw (lo, hi per row)
 * against the widened weights wq .. wend (4 words per row, rows >= 1; odd = rows & 1). Returns xw past
 * the window. Two rows per iteration, entered at the second when the row count is odd; written out in
 * assembly because gcc 12 adds an odd-count test, pointer copies and spills around its own unrolled
 * loop (about 20 instructions per window). */
#define FM_PAIR_ROW(acc_a, acc_b, acc_c, acc_d)                  \
    "ldrd %[lo], %[hi], [%[xw]], #8\n\t"                         \
    "ldrd %[p], %[q], [%[w]], #8\n\t"                            \
    "smlad %[a0], %[lo], %[p], %[a0]\n\t"                        \
    "smlabb %[a0], %[hi], %[q], %[a0]\n\t"                       \
    "smlad %[b0], %[hi], %[p], %[b0]\n\t"                        \
    "smlatb %[b0], %[lo], %[q], %[b0]\n\t"                       \
    "ldrd %[p], %[q], [%[w]], #8\n\t"                            \
    "smlad %[a1], %[lo], %[p], %[a1]\n\t"                        \
    "smlabb %[a1], %[hi], %[q], %[a1]\n\t"                       \
    "smlad %[b1], %[hi], %[p], %[b1]\n\t"                        \
    "smlatb %[b1], %[lo], %[q], %[b1]\n\t"

static inline __attribute__((always_inline)) const int16x2_t *fm_pair_mac(const int16x2_t *xw, const int16x2_t *wq,
                                                                          const int16x2_t *wend, int32_t odd,
                                                                          int32_t *a0, int32_t *b0, int32_t *a1,
                                                                          int32_t *b1) {
    int32_t ra0 = *a0, rb0 = *b0, ra1 = *a1, rb1 = *b1;
    int32_t lo, hi, p, q;
    const int16x2_t *w = wq;
    __asm__("ldr %[p], %[odd]\n\t"
            "cmp %[p], #0\n\t"
            "bne 2f\n"
            "1:\n\t" FM_PAIR_ROW(a0, b0, a1, b1) "2:\n\t" FM_PAIR_ROW(a0, b0, a1, b1)
            "cmp %[w], %[wend]\n\t"
            "bne 1b"
            : [a0] "+r"(ra0), [b0] "+r"(rb0), [a1] "+r"(ra1), [b1] "+r"(rb1), [xw] "+r"(xw), [w] "+r"(w),
              [lo] "=&r"(lo), [hi] "=&r"(hi), [p] "=&r"(p), [q] "=&r"(q)
            : [wend] "r"(wend), [odd] "m"(odd)
            : "cc", "memory");
    *a0 = ra0;
    *b0 = rb0;
    *a1 = ra1;
    *b1 = rb1;
    return xw;
}
#undef FM_PAIR_ROW

/* All windows of a tile for channels c0, c1 with the inline rule; outputs o0[dst], o1[dst] (pooled)
 * or o[dst], o[dst + 1]. */
static inline __attribute__((always_inline)) void fm_pair_fast(const int16x2_t *xw, const int16x2_t *wq,
                                                               int32_t rows, const int32_t *dst, int32_t n_win,
                                                               const fm_pair_rq_t *q, int8_t *o0, int8_t *o1,
                                                               int pooled) {
    const int16x2_t *wend = wq + 4 * rows;
    const int32_t odd = rows & 1;
    const int32_t i0 = q[0].init, m0 = q[0].mult, d0 = q[0].add, s0 = q[0].rshift;
    const int32_t i1 = q[1].init, m1 = q[1].mult, d1 = q[1].add, s1 = q[1].rshift;
    const int32_t *end = dst + n_win;
    for (; dst != end; ++dst) {
        int32_t a0 = i0, b0 = i0, a1 = i1, b1 = i1;
        const int32_t at = *dst;
        xw = fm_pair_mac(xw, wq, wend, odd, &a0, &b0, &a1, &b1);
        if (pooled) {
            o0[at] = fm_dsp_rq8(a0 > b0 ? a0 : b0, m0, d0, s0);
            o1[at] = fm_dsp_rq8(a1 > b1 ? a1 : b1, m1, d1, s1);
        } else {
            o0[at] = fm_dsp_rq8(a0, m0, d0, s0);
            o0[at + 1] = fm_dsp_rq8(b0, m0, d0, s0);
            o1[at] = fm_dsp_rq8(a1, m1, d1, s1);
            o1[at + 1] = fm_dsp_rq8(b1, m1, d1, s1);
        }
    }
}

/* All windows of a tile for channels c0, c1 by the general rule: the bias added with saturation, then the
 * mode's fm_requant (ort-int, other clamps or shifts, biases near the int32 limits: rare, kept small). */
static void fm_pair_general(const int16x2_t *xw, const int16x2_t *wq, int32_t rows, const int32_t *dst,
                            int32_t n_win, const fm_requant_t *rq, const int32_t *bias, int32_t c0, int32_t c1,
                            int8_t *o0, int8_t *o1, int pooled) {
    const int16x2_t *wend = wq + 4 * rows;
    const int32_t odd = rows & 1;
    const int32_t bias0 = bias != 0 ? bias[c0] : 0, bias1 = bias != 0 ? bias[c1] : 0;
    int32_t w;
    for (w = 0; w < n_win; ++w) {
        int32_t a0 = 0, b0 = 0, a1 = 0, b1 = 0;
        const int32_t at = dst[w];
        xw = fm_pair_mac(xw, wq, wend, odd, &a0, &b0, &a1, &b1);
        a0 = fm_requant(__qadd(a0, bias0), rq, c0);
        b0 = fm_requant(__qadd(b0, bias0), rq, c0);
        a1 = fm_requant(__qadd(a1, bias1), rq, c1);
        b1 = fm_requant(__qadd(b1, bias1), rq, c1);
        if (pooled) {
            o0[at] = (int8_t)(a0 > b0 ? a0 : b0);
            o1[at] = (int8_t)(a1 > b1 ? a1 : b1);
        } else {
            o0[at] = (int8_t)a0;
            o0[at + 1] = (int8_t)b0;
            o1[at] = (int8_t)a1;
            o1[at + 1] = (int8_t)b1;
        }
    }
}

/* Output channels [c_lo, c_hi) of a tile (widened inputs xt, output offsets dst). */
static void fm_pair_tile(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *weights,
                         const int32_t *bias, const int16x2_t *xt, const int32_t *dst, int32_t n_win,
                         int32_t c_lo, int32_t c_hi, int32_t oplane, int pooled, int16x2_t *wq, int8_t *output) {
    fm_pair_rq_t q[2];
    const int32_t rows = (p->in_c / p->groups) * p->k_h;
    const int32_t maxsum = 3 * rows * 65025; /* |x + x_off|, |w + w_off| <= 255 */
    const int32_t last = p->out_c - 1;
    const int16x2_t wo = fm_dsp_pair(p->w_offset);
    int32_t c0;
    for (c0 = c_lo; c0 < c_hi; c0 += 2) {
        const int32_t c1 = c0 + 1 < c_hi ? c0 + 1 : c0; /* odd count: the last channel twice, same values */
        int8_t *o0 = output + c0 * oplane;
        int8_t *o1 = output + c1 * oplane;
        fm_pair_weights(weights + c0 * rows * 3, weights + c1 * rows * 3, rows, wo, c1 == last, wq);
        if (fm_pair_rq(rq, bias, c0, maxsum, &q[0]) && fm_pair_rq(rq, bias, c1, maxsum, &q[1])) {
            if (pooled) {
                fm_pair_fast(xt, wq, rows, dst, n_win, q, o0, o1, 1);
            } else {
                fm_pair_fast(xt, wq, rows, dst, n_win, q, o0, o1, 0);
            }
        } else {
            fm_pair_general(xt, wq, rows, dst, n_win, rq, bias, c0, c1, o0, o1, pooled);
        }
    }
}

/* Scratch: wq (4 words per patch row), then dst (one word per window of a tile), then xt (2 words per
 * patch row and window); per_tile = min(FM_PAIR_TILE / rows, FM_PAIR_WIN, windows of the layer). The
 * compiler declares the same size (ops/conv.py: pair_scratch). */
void fm_dsp_conv_pairs(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                       const int8_t *weights, const int32_t *bias, int pooled, void *scratch, int8_t *output) {
    int16x2_t *wq = (int16x2_t *)scratch;
    int32_t *dst;
    int16x2_t *xt;
    fm_pair_ctx_t k;
    const int32_t cout_g = p->out_c / p->groups;
    int32_t g, n0, n_all, per_tile;
    k.cin_g = p->in_c / p->groups;
    k.k_h = p->k_h;
    k.in_h = p->in_h;
    k.in_w = p->in_w;
    k.plane = p->in_h * p->in_w;
    k.stride_h = p->stride_h;
    k.dil_h = p->dil_h;
    k.pad_top = p->pad_top;
    k.pad_left = p->pad_left;
    k.in_offset = p->in_offset;
    k.rows = k.cin_g * k.k_h;
    k.out_w = p->out_w;
    k.out_h = p->out_h;
    k.wpr = pooled ? p->out_w / 2 : (p->out_w + 1) / 2;
    k.dst_w = pooled ? p->out_w / 2 : p->out_w;
    k.pooled = pooled;
    per_tile = FM_PAIR_TILE / k.rows < FM_PAIR_WIN ? FM_PAIR_TILE / k.rows : FM_PAIR_WIN;
    n_all = p->out_h * k.wpr;
    if (per_tile > n_all) per_tile = n_all;
    dst = (int32_t *)(wq + 4 * k.rows);
    xt = (int16x2_t *)(dst + per_tile);
    for (g = 0; g < p->groups; ++g) {
        k.input = input + g * k.cin_g * k.plane;
        for (n0 = 0; n0 < n_all; n0 += per_tile) {
            const int32_t n = n_all - n0 < per_tile ? n_all - n0 : per_tile;
            fm_pair_widen(&k, n0, n, xt, dst);
            fm_pair_tile(p, rq, weights, bias, xt, dst, n, g * cout_g, (g + 1) * cout_g, p->out_h * k.dst_w,
                         pooled, wq, output);
        }
    }
}

/* The pair path's own entry points (fm_kernels.h): only its shapes, so no scalar fallback is linked. */
fm_status_t fm_conv_pair_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                    const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output) {
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) return FM_ERR_NULL;
    if (!fm_dsp_pair_ok(p)) return FM_ERR_PARAM;
    fm_dsp_conv_pairs(p, rq, input, weights, bias, 0, scratch, output);
    return FM_OK;
}

fm_status_t fm_conv_maxpool_pair_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                            const int8_t *input, const int8_t *weights, const int32_t *bias, void *scratch,
                            int8_t *output) {
    if (p == 0 || pool == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) {
        return FM_ERR_NULL;
    }
    if (!fm_dsp_pool_pair_ok(p, pool)) return FM_ERR_PARAM;
    fm_dsp_conv_pairs(p, rq, input, weights, bias, 1, scratch, output);
    return FM_OK;
}
