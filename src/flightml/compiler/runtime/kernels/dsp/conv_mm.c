/* flightml DSP kernels: convolution as a matrix multiply over the patch (im2col), for every shape with
 * at least 4 output channels per group (pointwise 1x1, 3x3 and larger, any stride, dilation and
 * padding). Hand-written, C99 + ACLE. Same results as kernels/portable/conv.c.
 *
 * Per output position the patch of each group (in_c / groups x k_h x k_w values, in weight order) is
 * gathered once into an int8 column (positions in the padding take the input zero point, which widens
 * to 0) and widened with the input offset into SMLAD lane order; two positions at a time are multiplied
 * with two weight rows at a time (fm_dsp_mac2x2: each widened weight word serves both positions, each
 * widened input pair both channels). Patches longer than
 * FM_MM_CHUNK values are taken a multiple of 4 whole input channels at a time; the last (len % 4)
 * values of a patch go through a scalar tail, so no weight past the tensor's end is read.
 *
 * Requantization: the constants of each output channel are loaded once per block of FM_MM_ROWS
 * channels (fm_dsp_chq_load); channels the int8 rule applies to start their accumulators at the bias
 * and take SMMLA, shift and SSAT (tflm: SMMULR and TFLite's rounding division, fm_dsp_rqt), the others
 * the bias with saturation and the mode's fm_requant. */
#include "fm_dsp_conv.h"

#define FM_MM_CHUNK FM_DSP_COLB /* patch values gathered per pass and column (multiple of 4) */
#define FM_MM_ROWS 32   /* output channels per block */

/* 1 when this path handles convolution p (the compiler calls fm_conv_mm_s8 for these shapes only). */
static int fm_dsp_mm_ok(const fm_conv_params_t *p) {
    if (p->groups < 1 || p->in_c % p->groups != 0 || p->out_c % p->groups != 0) return 0;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return 0;
    return p->out_c / p->groups >= 4 && 4 * p->k_h * p->k_w <= FM_MM_CHUNK;
}

/* The constants of channel c for sums of `len` products; returns q->fast (shared with conv_dw.c). */
int32_t fm_dsp_chq_load(const fm_requant_t *rq, const int32_t *bias, int32_t c, int32_t len, fm_dsp_chq_t *q) {
    fm_dsp_rq8_t r = {0, 0, 0};
    const int32_t b = bias != 0 ? bias[c] : 0;
    const int64_t maxsum = (int64_t)len * 65025; /* |x + x_off|, |w + w_off| <= 255 */
    if (fm_dsp_rq8_load(rq, c, &r)) {
        q->fast = b <= INT32_MAX - maxsum && b >= INT32_MIN + maxsum ? FM_DSP_FIXED : 0;
    } else if (fm_dsp_rqt_load(rq, c, &r)) {
        q->fast = b < 0x40000000 - maxsum && b > -0x40000000 + maxsum ? FM_DSP_TFLM : 0;
    } else {
        q->fast = 0;
    }
    q->init = q->fast ? b : 0;
    q->mult = r.mult;
    q->add = r.add;
    q->rshift = r.rshift;
    return q->fast;
}

/* What the gather needs of one convolution (copied out of the params: the int8 column stores could
 * alias them otherwise). */
typedef struct {
    const int8_t *input; /* first input channel of the current group */
    int32_t in_h, in_w, plane, k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, in_offset;
    int8_t pad; /* the input zero point */
} fm_mm_ctx_t;

/* Pointwise patch of n channels from x (stride plane): groups of 4 widened into xq (lane order of
 * fm_dsp_widen), the last n % 4 values into col[4 * (n / 4) ..]. */
static void fm_mm_pointwise(const int8_t *x, int32_t plane, int32_t n, int32_t in_offset, int8_t *col, int16_t *xq) {
    const int16x2_t xo = fm_dsp_pair(in_offset);
    int32_t c;
    for (c = 0; c + 4 <= n; c += 4, x += 4 * plane, xq += 4) {
        const uint32_t v = (uint32_t)(uint8_t)x[0] | (uint32_t)(uint8_t)x[plane] << 8 |
                           (uint32_t)(uint8_t)x[2 * plane] << 16 | (uint32_t)(uint8_t)x[3 * plane] << 24;
        fm_dsp_st2(xq, __sxtab16(xo, (int8x4_t)v));
        fm_dsp_st2(xq + 2, fm_dsp_hi(xo, v));
    }
    for (; c < n; ++c, x += plane) col[c] = x[0];
}

/* x[0 .. 2] to d (a halfword and a byte: nothing read past the window). */
static inline __attribute__((always_inline)) void fm_mm_copy3(int8_t *d, const int8_t *x) {
    uint16_t h;
    __builtin_memcpy(&h, x, 2);
    __builtin_memcpy(d, &h, 2);
    d[2] = x[2];
}

/* The patch of a window of 3 taps along w wholly inside the input, cc channels from x (its first
 * value; channels `plane` apart, rows `row` apart, k_h rows): 3 x 3 written out. */
static void fm_mm_inside3(const int8_t *x, int32_t plane, int32_t row, int32_t cc, int32_t k_h, int8_t *dst) {
    int32_t c, kh;
    if (k_h == 3) {
        for (c = 0; c < cc; ++c, x += plane, dst += 9) {
            fm_mm_copy3(dst, x);
            fm_mm_copy3(dst + 3, x + row);
            fm_mm_copy3(dst + 6, x + 2 * row);
        }
        return;
    }
    for (c = 0; c < cc; ++c, x += plane) {
        for (kh = 0; kh < k_h; ++kh, dst += 3) fm_mm_copy3(dst, x + kh * row);
    }
}

/* The patch of output position (oh, ow), input channels [c0, c0 + cc) of the group: int8 values in col,
 * the groups of 4 widened into xq. */
static __attribute__((noinline)) void fm_mm_gather(const fm_mm_ctx_t *k, int32_t oh, int32_t ow, int32_t c0,
                                                   int32_t cc, int8_t *col, int16_t *xq) {
    const int32_t ih0 = oh * k->stride_h - k->pad_top, iw0 = ow * k->stride_w - k->pad_left;
    const int32_t k_h = k->k_h, k_w = k->k_w, dil_w = k->dil_w, in_w = k->in_w, plane = k->plane;
    const int8_t pad = k->pad;
    const int8_t *x = k->input + c0 * plane;
    int8_t *dst = col;
    int32_t kh_lo, kh_hi, kw_lo, kw_hi, c, kh, kw;
    fm_taps(ih0, k->dil_h, k->in_h, k_h, &kh_lo, &kh_hi);
    fm_taps(iw0, dil_w, in_w, k_w, &kw_lo, &kw_hi);
    if (k_h == 1 && k_w == 1 && kh_lo < kh_hi && kw_lo < kw_hi) {
        fm_mm_pointwise(x + ih0 * in_w + iw0, plane, cc, k->in_offset, col, xq);
        return;
    }
    if (k_w == 3 && dil_w == 1 && kh_lo == 0 && kh_hi == k_h && kw_lo == 0 && kw_hi == 3) { /* inside */
        fm_mm_inside3(x + ih0 * in_w + iw0, plane, k->dil_h * in_w, cc, k_h, col);
        fm_dsp_widen(col, cc * k_h * 3 / 4, k->in_offset, xq, 4);
        return;
    }
    for (c = 0; c < cc; ++c, x += plane) {
        for (kh = 0; kh < k_h; ++kh) {
            const int8_t *row = x + (ih0 + kh * k->dil_h) * in_w; /* the input row (when inside) */
            if (kh < kh_lo || kh >= kh_hi) {
                for (kw = 0; kw < k_w; ++kw) *dst++ = pad;
            } else if (kw_lo == 0 && kw_hi == k_w) {
                for (kw = 0; kw < k_w; ++kw) *dst++ = row[iw0 + kw * dil_w];
            } else {
                for (kw = 0; kw < k_w; ++kw) *dst++ = kw >= kw_lo && kw < kw_hi ? row[iw0 + kw * dil_w] : pad;
            }
        }
    }
    fm_dsp_widen(col, cc * k_h * k_w / 4, k->in_offset, xq, 4);
}

/* Offset in the input plane of pointwise output position pos (row-major over out_w columns). */
static inline int32_t fm_mm_at(const fm_mm_ctx_t *k, int32_t pos, int32_t out_w) {
    const int32_t oh = pos / out_w;
    return oh * k->stride_h * k->in_w + (pos - oh * out_w) * k->stride_w;
}

/* The last n % 4 (1 to 3) values of weight rows j < nb (row length k, from w + 4 * (n / 4)) plus w_offset,
 * zero-padded to 4 and packed as int16 pairs {0, 1}, {2, 3} at tw[2j], tw[2j + 1] (once per block). */
static void fm_mm_tail_weights(const int8_t *w, int32_t k, int32_t n, int32_t nb, int32_t w_offset, int32_t *tw) {
    const int32_t i0 = n & ~3, r = n - i0;
    int32_t j, i;
    for (j = 0; j < nb; ++j, w += k) {
        uint16_t v[4] = {0, 0, 0, 0};
        for (i = 0; i < r; ++i) v[i] = (uint16_t)(int16_t)(w[i0 + i] + w_offset);
        tw[2 * j] = (int32_t)((uint32_t)v[0] | (uint32_t)v[1] << 16);
        tw[2 * j + 1] = (int32_t)((uint32_t)v[2] | (uint32_t)v[3] << 16);
    }
}

/* The last r = n % 4 (1 to 3) values of column x plus in_offset, as fm_mm_tail_weights packs weights. */
static inline void fm_mm_tail_column(const int8_t *x, int32_t r, int32_t in_offset, int16x2_t *lo, int16x2_t *hi) {
    uint16_t v[4] = {0, 0, 0, 0};
    int32_t i;
    for (i = 0; i < r; ++i) v[i] = (uint16_t)(int16_t)(x[i] + in_offset);
    *lo = (int16x2_t)((uint32_t)v[0] | (uint32_t)v[1] << 16);
    *hi = (int16x2_t)((uint32_t)v[2] | (uint32_t)v[3] << 16);
}

/* Two columns (A: col, xq; B: col + FM_MM_CHUNK, xq + FM_DSP_COLB) against weight rows j < nb (row
 * length k, n values from w): acc[2j] += A . row j, acc[2j + 1] += B . row j. Rows in pairs (an odd
 * count pairs the last row with itself into acc[2nb], acc[2nb + 1], unused). The last n % 4 values
 * take two SMLADs per row and column against tw (fm_mm_tail_weights of these rows). */
static __attribute__((noinline)) void fm_mm_mac(const int8_t *col, const int16_t *xq, int32_t n, const int8_t *w,
                                                int32_t k, int32_t nb, int32_t in_offset, int32_t w_offset,
                                                const int32_t *tw, int32_t *acc) {
    const int32_t n4 = n / 4;
    int32_t j;
    int16x2_t a0, a1, b0, b1;
    for (j = 0; j < nb; j += 2) fm_dsp_mac2x2(xq, w + j * k, j + 1 < nb ? k : 0, n4, w_offset, acc + 2 * j);
    if (n == 4 * n4) return;
    fm_mm_tail_column(col + 4 * n4, n - 4 * n4, in_offset, &a0, &a1);
    fm_mm_tail_column(col + FM_MM_CHUNK + 4 * n4, n - 4 * n4, in_offset, &b0, &b1);
    for (j = 0; j < nb; ++j, tw += 2, acc += 2) {
        const int16x2_t t0 = (int16x2_t)tw[0], t1 = (int16x2_t)tw[1];
        acc[0] = __smlad(a1, t1, __smlad(a0, t0, acc[0]));
        acc[1] = __smlad(b1, t1, __smlad(b0, t0, acc[1]));
    }
}

/* fm_mm_out for two positions when every channel of the block takes the inline rule `fast` (a
 * constant): pointer walks, no per-channel dispatch. */
static inline __attribute__((always_inline)) void fm_mm_out_fast(const int32_t *acc, const fm_dsp_chq_t *q,
                                                                 int32_t nb, int8_t *out, int32_t stride,
                                                                 int32_t fast) {
    const fm_dsp_chq_t *end = q + nb;
    for (; q != end; ++q, acc += 2, out += stride) {
        const int32_t mult = q->mult, add = q->add, rshift = q->rshift;
        out[0] = fm_dsp_rqk(acc[0], fast, mult, add, rshift);
        out[1] = fm_dsp_rqk(acc[1], fast, mult, add, rshift);
    }
}

/* Outputs of channels n0 + j, j < nb, at positions out[j * stride] (acc[2j]) and, when `two`,
 * out[j * stride + 1] (acc[2j + 1]); `kind` is the inline rule every channel takes, or 0. */
static __attribute__((noinline)) void fm_mm_out(const int32_t *acc, const fm_dsp_chq_t *q, int32_t nb,
                                                const fm_requant_t *rq, const int32_t *bias, int32_t n0, int8_t *out,
                                                int32_t stride, int32_t two, int32_t kind) {
    int32_t j;
    if (two && kind == FM_DSP_FIXED) {
        fm_mm_out_fast(acc, q, nb, out, stride, FM_DSP_FIXED);
        return;
    }
    if (two && kind == FM_DSP_TFLM) {
        fm_mm_out_fast(acc, q, nb, out, stride, FM_DSP_TFLM);
        return;
    }
    for (j = 0; j < nb; ++j, out += stride) {
        const int32_t mult = q[j].mult, add = q[j].add, rshift = q[j].rshift;
        if (q[j].fast == FM_DSP_FIXED) { /* the int8 rule, constants loaded once for both positions */
            out[0] = fm_dsp_rq8(acc[2 * j], mult, add, rshift);
            if (two) out[1] = fm_dsp_rq8(acc[2 * j + 1], mult, add, rshift);
            continue;
        }
        if (q[j].fast == FM_DSP_TFLM) {
            out[0] = fm_dsp_rqt(acc[2 * j], mult, add, rshift);
            if (two) out[1] = fm_dsp_rqt(acc[2 * j + 1], mult, add, rshift);
            continue;
        }
        out[0] = fm_dsp_chq_out(acc[2 * j], &q[j], rq, bias, n0 + j);
        if (two) out[1] = fm_dsp_chq_out(acc[2 * j + 1], &q[j], rq, bias, n0 + j);
    }
}

/* Outputs out[i], i < np, of one output channel of a narrow pointwise layer (n4 = 1 or 2 groups of 4 input
 * channels): its widened weight row in registers against the positions widened at xq (4 * n4 int16
 * each); n4 and fast constants. */
static inline __attribute__((always_inline)) void fm_mm_narrow_loop(const int16_t *xq, int32_t np, const int8_t *w,
                                                                    int32_t n4, int32_t w_offset,
                                                                    const fm_dsp_chq_t *q, int32_t fast,
                                                                    const fm_requant_t *rq, const int32_t *bias,
                                                                    int32_t c, int8_t *out) {
    const int16x2_t wo = fm_dsp_pair(w_offset);
    const uint32_t v0 = fm_dsp_ld4(w), v1 = n4 == 2 ? fm_dsp_ld4(w + 4) : 0u;
    const int16x2_t a_lo = fm_dsp_wlo(wo, v0), a_hi = fm_dsp_hi(wo, v0);
    const int16x2_t b_lo = fm_dsp_wlo(wo, v1), b_hi = fm_dsp_hi(wo, v1);
    const int32_t init = q->init, mult = q->mult, add = q->add, rshift = q->rshift;
    int32_t i;
    for (i = 0; i < np; ++i, xq += 4 * n4) {
        int32_t acc = __smlad(fm_dsp_ld2(xq + 2), a_hi, __smlad(fm_dsp_ld2(xq), a_lo, init));
        if (n4 == 2) acc = __smlad(fm_dsp_ld2(xq + 6), b_hi, __smlad(fm_dsp_ld2(xq + 4), b_lo, acc));
        out[i] = fast ? fm_dsp_rqk(acc, fast, mult, add, rshift) : fm_dsp_chq_out(acc, q, rq, bias, c);
    }
}

/* fm_mm_narrow_loop with n4 and the requantization kind as constants. */
static __attribute__((noinline)) void fm_mm_narrow_row(const int16_t *xq, int32_t np, const int8_t *w, int32_t n4,
                                                       int32_t w_offset, const fm_dsp_chq_t *q,
                                                       const fm_requant_t *rq, const int32_t *bias, int32_t c,
                                                       int8_t *out) {
    if (n4 == 1 && q->fast == FM_DSP_FIXED) {
        fm_mm_narrow_loop(xq, np, w, 1, w_offset, q, FM_DSP_FIXED, rq, bias, c, out);
    } else if (n4 == 1 && q->fast == FM_DSP_TFLM) {
        fm_mm_narrow_loop(xq, np, w, 1, w_offset, q, FM_DSP_TFLM, rq, bias, c, out);
    } else if (n4 == 1) {
        fm_mm_narrow_loop(xq, np, w, 1, w_offset, q, 0, rq, bias, c, out);
    } else if (q->fast == FM_DSP_FIXED) {
        fm_mm_narrow_loop(xq, np, w, 2, w_offset, q, FM_DSP_FIXED, rq, bias, c, out);
    } else if (q->fast == FM_DSP_TFLM) {
        fm_mm_narrow_loop(xq, np, w, 2, w_offset, q, FM_DSP_TFLM, rq, bias, c, out);
    } else {
        fm_mm_narrow_loop(xq, np, w, 2, w_offset, q, 0, rq, bias, c, out);
    }
}

/* Pointwise layers with 4 or 8 input channels per group, every position inside the input: positions
 * widened a block at a time into xq (the widened buffers of the general path), then each output channel
 * against the block (fm_mm_narrow_row: no per-position calls, weights widened once per block). */
static void fm_mm_narrow(const fm_mm_ctx_t *k, const fm_conv_params_t *p, const fm_requant_t *rq,
                         const int8_t *weights, const int32_t *bias, int8_t *col, int16_t *xq, int8_t *output) {
    const int32_t cin_g = p->in_c / p->groups, cout_g = p->out_c / p->groups, oplane = p->out_h * p->out_w;
    const int32_t block = 2 * FM_DSP_COLB / cin_g, out_w = p->out_w;
    fm_dsp_chq_t q;
    int32_t g, pa, np, i, n;
    for (g = 0; g < p->groups; ++g) {
        const int8_t *x = k->input + g * cin_g * k->plane;
        for (pa = 0; pa < oplane; pa += np) {
            np = oplane - pa < block ? oplane - pa : block;
            for (i = 0; i < np; ++i) {
                fm_mm_pointwise(x + fm_mm_at(k, pa + i, out_w), k->plane, cin_g, k->in_offset, col, xq + i * cin_g);
            }
            for (n = g * cout_g; n < (g + 1) * cout_g; ++n) {
                fm_dsp_chq_load(rq, bias, n, cin_g, &q);
                fm_mm_narrow_row(xq, np, weights + n * cin_g, cin_g / 4, p->w_offset, &q, rq, bias, n,
                                 output + n * oplane + pa);
            }
        }
    }
}

/* acc[2j] = acc[2j + 1] = q[j].init, j < nb (pointer walks: one load and one STRD per channel). */
static inline void fm_mm_init(int32_t *acc, const fm_dsp_chq_t *q, int32_t nb) {
    const fm_dsp_chq_t *end = q + nb;
    for (; q != end; ++q, acc += 2) {
        const int32_t v = q->init;
        acc[0] = v;
        acc[1] = v;
    }
}

/* Scratch, 2,696 bytes (ops/conv.py: MM_SCRATCH): q[FM_MM_ROWS], acc[2 * FM_MM_ROWS + 2],
 * xq[2 * FM_DSP_COLB], col[2 * FM_MM_CHUNK], tw[2 * FM_MM_ROWS]. */
static __attribute__((noinline)) void fm_dsp_conv_mm(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
                    const int32_t *bias, void *scratch, int8_t *output) {
    fm_dsp_chq_t *q = (fm_dsp_chq_t *)__builtin_assume_aligned(scratch, 8); /* pairs of acc: STRD */
    int32_t *acc = (int32_t *)(q + FM_MM_ROWS);
    int16_t *xq = (int16_t *)(acc + 2 * FM_MM_ROWS + 2);
    int8_t *col = (int8_t *)(xq + 2 * FM_DSP_COLB);
    int32_t *tw = (int32_t *)__builtin_assume_aligned(col + 2 * FM_MM_CHUNK, 8);
    fm_mm_ctx_t k;
    const int32_t cin_g = p->in_c / p->groups, cout_g = p->out_c / p->groups, taps = p->k_h * p->k_w;
    const int32_t len = cin_g * taps, oplane = p->out_h * p->out_w, in_offset = p->in_offset;
    const int32_t w_offset = p->w_offset, out_w = p->out_w;
    /* input channels per pass: all, or a multiple of 4 whose patch values fit the chunk */
    const int32_t cc = len <= FM_MM_CHUNK ? cin_g : (FM_MM_CHUNK / taps) & ~3;
    const int32_t c_last = (cin_g - 1) / cc * cc; /* the last pass: the only one whose length can be odd */
    const int inside = taps == 1 && p->pad_top == 0 && p->pad_left == 0 && (p->out_h - 1) * p->stride_h < p->in_h &&
                       (p->out_w - 1) * p->stride_w < p->in_w;
    int32_t g, n0, pa, pb, c0, j, kind;
    k.in_h = p->in_h;
    k.in_w = p->in_w;
    k.plane = p->in_h * p->in_w;
    k.k_h = p->k_h;
    k.k_w = p->k_w;
    k.stride_h = p->stride_h;
    k.stride_w = p->stride_w;
    k.dil_h = p->dil_h;
    k.dil_w = p->dil_w;
    k.pad_top = p->pad_top;
    k.pad_left = p->pad_left;
    k.in_offset = in_offset;
    k.pad = (int8_t)(-in_offset);
    k.input = input;
    if (inside && (cin_g == 4 || cin_g == 8)) {
        fm_mm_narrow(&k, p, rq, weights, bias, col, xq, output);
        return;
    }
    for (g = 0; g < p->groups; ++g) {
        k.input = input + g * cin_g * k.plane;
        for (n0 = g * cout_g; n0 < (g + 1) * cout_g; n0 += FM_MM_ROWS) {
            const int32_t nb = (g + 1) * cout_g - n0 < FM_MM_ROWS ? (g + 1) * cout_g - n0 : FM_MM_ROWS;
            int8_t *out = output + n0 * oplane;
            for (j = 0, kind = -1; j < nb; ++j) {
                const int32_t fast = fm_dsp_chq_load(rq, bias, n0 + j, len, &q[j]);
                kind = kind == -1 || kind == fast ? fast : 0;
            }
            fm_mm_tail_weights(weights + n0 * len + c_last * taps, len, (cin_g - c_last) * taps, nb, w_offset, tw);
            for (pa = 0; pa < oplane; pa += 2) { /* positions pa and pb (the last twice when the count is odd) */
                pb = pa + 1 < oplane ? pa + 1 : pa;
                fm_mm_init(acc, q, nb);
                acc[2 * nb] = acc[2 * nb + 1] = 0;
                for (c0 = 0; c0 < cin_g; c0 += cc) {
                    const int32_t n = (cin_g - c0 < cc ? cin_g - c0 : cc) * taps;
                    if (inside) { /* pointwise, every position inside the input: no window logic */
                        const int8_t *x = k.input + c0 * k.plane;
                        fm_mm_pointwise(x + fm_mm_at(&k, pa, out_w), k.plane, n, in_offset, col, xq);
                        fm_mm_pointwise(x + fm_mm_at(&k, pb, out_w), k.plane, n, in_offset, col + FM_MM_CHUNK,
                                        xq + FM_DSP_COLB);
                    } else {
                        fm_mm_gather(&k, pa / out_w, pa % out_w, c0, n / taps, col, xq);
                        fm_mm_gather(&k, pb / out_w, pb % out_w, c0, n / taps, col + FM_MM_CHUNK, xq + FM_DSP_COLB);
                    }
                    fm_mm_mac(col, xq, n, weights + n0 * len + c0 * taps, len, nb, in_offset, w_offset, tw,
                              acc);
                }
                fm_mm_out(acc, q, nb, rq, bias, n0, out + pa, oplane, pb != pa, kind);
            }
        }
    }
}

/* Shapes off this path (never emitted by the compiler for this entry), NULL arguments and bad params
 * go to fm_conv_s8. */
fm_status_t fm_conv_mm_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
                  const int32_t *bias, void *scratch, int8_t *output) {
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0 || !fm_dsp_mm_ok(p)) {
        return fm_conv_s8(p, rq, input, weights, bias, scratch, output);
    }
    fm_dsp_conv_mm(p, rq, input, weights, bias, scratch, output);
    return FM_OK;
}
