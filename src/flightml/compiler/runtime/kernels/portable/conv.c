/* flightml portable kernels: convolution and convolution + max pooling. Hand-written, C99.
 * Outputs whose taps are all inside the input along W are computed two positions x two output channels
 * at a time with the four sums in registers (no padding checks in the inner loop; each input load
 * serves both channels, each weight load both positions); border positions take the per-point path. */
#include "fm_kernels.h"

/* Inlined at each call site so constant arguments (channel count, offsets, taps) specialize the loops. */
#if defined(__GNUC__)
#define FM_INLINE inline __attribute__((always_inline))
#else
#define FM_INLINE inline
#endif

/* First and one-past-last kernel tap k in [0, k) with 0 <= base + k * dil < size. */
static void fm_tap_range(int32_t base, int32_t dil, int32_t size, int32_t k, int32_t *lo, int32_t *hi) {
    int32_t a = 0;
    int32_t b = k;
    while (a < k && base + a * dil < 0) ++a;
    while (b > a && base + (b - 1) * dil >= size) --b;
    *lo = a;
    *hi = b;
}

/* What every output of one channel pair needs, computed once per pair (no division per output). */
typedef struct {
    const fm_conv_params_t *p;
    const fm_requant_t *rq;
    const int32_t *bias;
    const int8_t *x;   /* the group's first input channel */
    const int8_t *w;   /* channel oc's weights (oc + 1's follow after cin_g * taps) */
    int32_t oc, two;   /* first channel; 1 when oc + 1 is computed too (same group) */
    int32_t cin_g, plane, taps;
    int32_t wsum[2];   /* weights without offset: the sum of each channel's weights over the whole window */
} fm_conv_ctx_t;

static int32_t fm_conv_wsum(const fm_conv_ctx_t *k, int32_t c, int32_t kh_lo, int32_t kh_hi);

static void fm_conv_ctx(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                        const int8_t *weights, const int32_t *bias, int32_t oc, fm_conv_ctx_t *k) {
    const int32_t per_group = p->out_c / p->groups;
    k->p = p;
    k->rq = rq;
    k->bias = bias;
    k->oc = oc;
    k->two = oc + 1 < p->out_c && (oc + 1) / per_group == oc / per_group;
    k->cin_g = p->in_c / p->groups;
    k->plane = p->in_h * p->in_w;
    k->taps = p->k_h * p->k_w;
    k->x = input + (oc / per_group) * k->cin_g * k->plane;
    k->w = weights + oc * k->cin_g * k->taps;
    k->wsum[0] = p->w_offset == 0 ? fm_conv_wsum(k, 0, 0, p->k_h) : 0;
    k->wsum[1] = p->w_offset == 0 && k->two ? fm_conv_wsum(k, 1, 0, p->k_h) : 0;
}

/* Requantized output of channel oc + c at (oh, ow), any padding (border positions). */
static int8_t fm_conv_point(const fm_conv_ctx_t *k, int32_t c, int32_t oh, int32_t ow) {
    const fm_conv_params_t *p = k->p;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    const int8_t *w_oc = k->w + c * k->cin_g * k->taps;
    int32_t kh_lo, kh_hi, kw_lo, kw_hi, ic, kh, kw;
    int32_t acc = 0;
    fm_tap_range(ih0, p->dil_h, p->in_h, p->k_h, &kh_lo, &kh_hi);
    fm_tap_range(iw0, p->dil_w, p->in_w, p->k_w, &kw_lo, &kw_hi);
    for (ic = 0; ic < k->cin_g; ++ic) {
        for (kh = kh_lo; kh < kh_hi; ++kh) {
            const int8_t *x_row = k->x + ic * k->plane + (ih0 + kh * p->dil_h) * p->in_w + iw0;
            const int8_t *w_row = w_oc + ic * k->taps + kh * p->k_w;
            for (kw = kw_lo; kw < kw_hi; ++kw) {
                acc += ((int32_t)x_row[kw * p->dil_w] + p->in_offset) * ((int32_t)w_row[kw] + p->w_offset);
            }
        }
    }
    if (k->bias != 0) acc = fm_sat_add32(acc, k->bias[k->oc + c]);
    return (int8_t)fm_requant(acc, k->rq, k->oc + c);
}

/* The sums of products of two positions (input offsets 0 and sb from x) for channel weights w0 and w1,
 * acc = {pos a w0, pos b w0, pos a w1, pos b w1}, in registers: n taps, input step xs, weight step ws.
 * (x + io) * (w + wo) as the reference: |x + io|, |w + wo| <= 255 and the compiler bounds the sum to int32.
 * `two` is a constant per call site (inlined): 0 leaves acc[2], acc[3] alone. */
static FM_INLINE void fm_dot(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t xs, int32_t ws,
                          int32_t sb, int32_t io, int32_t wo, int32_t two, int32_t *acc) {
    int32_t a0 = acc[0], b0 = acc[1], a1 = acc[2], b1 = acc[3];
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t xa = (int32_t)x[i * xs] + io;
        const int32_t xb = (int32_t)x[i * xs + sb] + io;
        const int32_t v0 = (int32_t)w0[i * ws] + wo;
        a0 += xa * v0;
        b0 += xb * v0;
        if (two) {
            const int32_t v1 = (int32_t)w1[i * ws] + wo;
            a1 += xa * v1;
            b1 += xb * v1;
        }
    }
    acc[0] = a0;
    acc[1] = b0;
    acc[2] = a1;
    acc[3] = b1;
}

/* The window of positions (ih0, iw0) and (ih0, iw0 + sb) (sb = 0: one position), rows kh_lo..kh_hi, all
 * taps inside the input along W, for channel oc and oc + 1 when `two`: acc as fm_dot, with input offset io
 * and weight offset wo (constants where inlined). Input channels innermost when there are several
 * (pointwise and most convolutions), else the window's columns (3 unrolled). */
static FM_INLINE void fm_conv_window(const fm_conv_ctx_t *k, int32_t two, int32_t ih0, int32_t iw0, int32_t sb,
                                  int32_t kh_lo, int32_t kh_hi, int32_t io, int32_t wo, int32_t *acc) {
    const fm_conv_params_t *p = k->p;
    const int8_t *w1 = two ? k->w + k->cin_g * k->taps : k->w;
    int32_t kh, kw, ic;
    acc[0] = acc[1] = acc[2] = acc[3] = 0;
    for (kh = kh_lo; kh < kh_hi; ++kh) {
        const int8_t *x_row = k->x + (ih0 + kh * p->dil_h) * p->in_w + iw0;
        const int32_t at = kh * p->k_w;
        if (k->cin_g == 1 && p->k_w == 3) {
            fm_dot(x_row, k->w + at, w1 + at, 3, p->dil_w, 1, sb, io, wo, two, acc);
        } else if (k->cin_g <= 3 && p->k_w == 3) { /* few channels (first layers): per channel, 3 columns */
            for (ic = 0; ic < k->cin_g; ++ic) {
                const int32_t c = ic * k->taps + at;
                fm_dot(x_row + ic * k->plane, k->w + c, w1 + c, 3, p->dil_w, 1, sb, io, wo, two, acc);
            }
        } else if (k->cin_g == 1) {
            fm_dot(x_row, k->w + at, w1 + at, p->k_w, p->dil_w, 1, sb, io, wo, two, acc);
        } else {
            for (kw = 0; kw < p->k_w; ++kw) {
                fm_dot(x_row + kw * p->dil_w, k->w + at + kw, w1 + at + kw, k->cin_g, k->plane, k->taps, sb, io, wo,
                       two, acc);
            }
        }
    }
}

/* Sum over the window rows kh_lo..kh_hi of channel oc + c's weights (with their offset). */
static int32_t fm_conv_wsum(const fm_conv_ctx_t *k, int32_t c, int32_t kh_lo, int32_t kh_hi) {
    const int32_t k_w = k->p->k_w;
    const int8_t *w = k->w + c * k->cin_g * k->taps;
    int32_t ic, i, sum = 0;
    for (ic = 0; ic < k->cin_g; ++ic) {
        for (i = kh_lo * k_w; i < kh_hi * k_w; ++i) sum += (int32_t)w[ic * k->taps + i] + k->p->w_offset;
    }
    return sum;
}

/* fm_conv_window for a channel pair or one channel. Weights without offset (int8 symmetric: the common
 * case) drop both offsets from the inner loop: sum (x + io) * w = sum x * w + io * wsum, each partial sum
 * bounded by the full sum's bound (|x|, |io| <= 128 <= 255). */
static void fm_conv_pair2(const fm_conv_ctx_t *k, const int32_t *wsum, int32_t ih0, int32_t iw0, int32_t sb,
                          int32_t kh_lo, int32_t kh_hi, int32_t *acc) {
    const int32_t io = k->p->in_offset;
    if (k->p->w_offset != 0) {
        if (k->two) fm_conv_window(k, 1, ih0, iw0, sb, kh_lo, kh_hi, io, k->p->w_offset, acc);
        else fm_conv_window(k, 0, ih0, iw0, sb, kh_lo, kh_hi, io, k->p->w_offset, acc);
        return;
    }
    if (k->two) fm_conv_window(k, 1, ih0, iw0, sb, kh_lo, kh_hi, 0, 0, acc);
    else fm_conv_window(k, 0, ih0, iw0, sb, kh_lo, kh_hi, 0, 0, acc);
    acc[0] += io * wsum[0];
    acc[1] += io * wsum[0];
    acc[2] += io * wsum[1];
    acc[3] += io * wsum[1];
}

#define FM_RUN 8 /* positions requantized per call */

/* Requantized outputs of row oh, columns [ow0, ow0 + count), of the pair's channels, written to
 * dst[c * dst_stride + 0 .. count). Columns whose taps all lie inside the input along W go through
 * fm_conv_pair2 two at a time (a last odd one alone), requantized FM_RUN at a time; border columns take
 * the per-point path. */
static void fm_conv_row(const fm_conv_ctx_t *k, int32_t oh, int32_t ow0, int32_t count, int8_t *dst,
                        int32_t dst_stride) {
    const fm_conv_params_t *p = k->p;
    const int32_t end = ow0 + count;
    const int32_t span = (p->k_w - 1) * p->dil_w;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    int32_t lo = (p->pad_left + p->stride_w - 1) / p->stride_w;
    int32_t hi = p->in_w - span + p->pad_left > 0 ? (p->in_w - span + p->pad_left - 1) / p->stride_w + 1 : 0;
    int32_t run[2 * FM_RUN], acc[4], wsum[2];
    int32_t ow, c, j, n, kh_lo, kh_hi;
    if (lo < ow0) lo = ow0;
    if (lo > end) lo = end; /* all columns border (in_w < kernel span): none past the row */
    if (hi > end) hi = end;
    if (hi < lo) hi = lo;
    fm_tap_range(ih0, p->dil_h, p->in_h, p->k_h, &kh_lo, &kh_hi);
    wsum[0] = k->wsum[0];
    wsum[1] = k->wsum[1];
    if (hi > lo && p->w_offset == 0 && (kh_lo > 0 || kh_hi < p->k_h)) { /* rows cut by the padding */
        for (c = 0; c <= k->two; ++c) wsum[c] = fm_conv_wsum(k, c, kh_lo, kh_hi);
    }
    for (ow = ow0; ow < lo; ++ow) {
        for (c = 0; c <= k->two; ++c) dst[c * dst_stride + ow - ow0] = fm_conv_point(k, c, oh, ow);
    }
    for (; ow < hi; ow += n) {
        n = hi - ow < FM_RUN ? hi - ow : FM_RUN;
        for (j = 0; j < n; j += 2) {
            const int32_t sb = j + 1 < n ? p->stride_w : 0;
            fm_conv_pair2(k, wsum, ih0, (ow + j) * p->stride_w - p->pad_left, sb, kh_lo, kh_hi, acc);
            run[j] = acc[0];
            run[j + 1] = acc[1]; /* past n when sb = 0: never read */
            run[FM_RUN + j] = acc[2];
            run[FM_RUN + j + 1] = acc[3];
        }
        for (c = 0; c <= k->two; ++c) {
            fm_requant_n(run + c * FM_RUN, k->bias, n, k->rq, k->oc + c, 0, dst + c * dst_stride + ow - ow0);
        }
    }
    for (ow = hi; ow < end; ++ow) {
        for (c = 0; c <= k->two; ++c) dst[c * dst_stride + ow - ow0] = fm_conv_point(k, c, oh, ow);
    }
}

static fm_status_t fm_conv_check(const fm_conv_params_t *p) {
    if (p->groups < 1 || p->in_c % p->groups != 0 || p->out_c % p->groups != 0) return FM_ERR_PARAM;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    return FM_OK;
}

/* Every convolution entry point of fm_kernels.h (one algorithm here). */
static fm_status_t fm_conv_any(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                       const int8_t *weights, const int32_t *bias, int8_t *output) {
    fm_conv_ctx_t k;
    int32_t oc, oh;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || output == 0) return FM_ERR_NULL;
    if (fm_conv_check(p) != FM_OK) return FM_ERR_PARAM;
    for (oc = 0; oc < p->out_c; oc += 1 + k.two) {
        int8_t *out_c = output + oc * p->out_h * p->out_w;
        fm_conv_ctx(p, rq, input, weights, bias, oc, &k);
        for (oh = 0; oh < p->out_h; ++oh) fm_conv_row(&k, oh, 0, p->out_w, out_c + oh * p->out_w, p->out_h * p->out_w);
    }
    return FM_OK;
}

fm_status_t fm_conv_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
               const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output) {
    if (scratch == 0) return FM_ERR_NULL;
    return fm_conv_any(p, rq, input, weights, bias, output);
}

fm_status_t fm_conv_dw_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                  const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output) {
    if (scratch == 0) return FM_ERR_NULL;
    return fm_conv_any(p, rq, input, weights, bias, output);
}

fm_status_t fm_conv_mm_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                  const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output) {
    if (scratch == 0) return FM_ERR_NULL;
    return fm_conv_any(p, rq, input, weights, bias, output);
}

/* Pooled columns are processed in groups whose conv columns fit in FM_POOL_SPAN values. */
#define FM_POOL_SPAN 64

fm_status_t fm_conv_maxpool_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                       const int8_t *input, const int8_t *weights, const int32_t *bias, void *scratch,
                       int8_t *output) {
    const int32_t span = (pool->k_w - 1) * pool->dil_w + 1;
    const int32_t plane = pool->out_h * pool->out_w;
    int8_t *conv = (int8_t *)scratch; /* scratch: conv rows, then best (2 * FM_POOL_SPAN each) */
    int8_t *best = conv + 2 * FM_POOL_SPAN;
    fm_conv_ctx_t ck;
    int32_t oc, ph, pw0, group, kh, kw, kh_lo, kh_hi, j, k, two, simple;
    if (p == 0 || pool == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) {
        return FM_ERR_NULL;
    }
    if (fm_conv_check(p) != FM_OK || pool->in_h != p->out_h || pool->in_w != p->out_w) return FM_ERR_PARAM;
    if (pool->stride_w < 1 || pool->stride_h < 1 || span > FM_POOL_SPAN) return FM_ERR_PARAM;
    group = (FM_POOL_SPAN - span) / pool->stride_w + 1;
    /* no padding or dilation and every window inside the conv row: no per-tap bounds checks */
    simple = pool->pad_left == 0 && pool->dil_w == 1 && (pool->out_w - 1) * pool->stride_w + pool->k_w <= pool->in_w;
    for (oc = 0; oc < p->out_c; oc += 1 + two) {
        fm_conv_ctx(p, rq, input, weights, bias, oc, &ck);
        two = ck.two;
        for (ph = 0; ph < pool->out_h; ++ph) {
            const int32_t h0 = ph * pool->stride_h - pool->pad_top;
            fm_tap_range(h0, pool->dil_h, pool->in_h, pool->k_h, &kh_lo, &kh_hi);
            for (pw0 = 0; pw0 < pool->out_w; pw0 += group) {
                const int32_t n = pool->out_w - pw0 < group ? pool->out_w - pw0 : group;
                /* conv columns [c0, c1) cover the windows of pooled columns [pw0, pw0 + n) */
                const int32_t w_first = pw0 * pool->stride_w - pool->pad_left;
                const int32_t c0 = w_first < 0 ? 0 : w_first;
                const int32_t w_last = (pw0 + n - 1) * pool->stride_w - pool->pad_left + span;
                const int32_t c1 = w_last > pool->in_w ? pool->in_w : w_last;
                for (j = 0; j < 2 * FM_POOL_SPAN; ++j) best[j] = -128;
                for (kh = kh_lo; kh < kh_hi; ++kh) {
                    fm_conv_row(&ck, h0 + kh * pool->dil_h, c0, c1 - c0, conv, FM_POOL_SPAN);
                    for (k = 0; k <= two; ++k) {
                        const int8_t *cv = conv + k * FM_POOL_SPAN;
                        int8_t *bv = best + k * FM_POOL_SPAN;
                        if (simple) { /* windows side by side, all inside [c0, c1) */
                            for (j = 0; j < n; ++j) {
                                const int8_t *win = cv + j * pool->stride_w;
                                for (kw = 0; kw < pool->k_w; ++kw) {
                                    if (win[kw] > bv[j]) bv[j] = win[kw];
                                }
                            }
                            continue;
                        }
                        for (j = 0; j < n; ++j) {
                            const int32_t w0 = (pw0 + j) * pool->stride_w - pool->pad_left;
                            for (kw = 0; kw < pool->k_w; ++kw) {
                                const int32_t c = w0 + kw * pool->dil_w;
                                if (c >= c0 && c < c1 && cv[c - c0] > bv[j]) bv[j] = cv[c - c0];
                            }
                        }
                    }
                }
                for (k = 0; k <= two; ++k) {
                    int8_t *out = output + (oc + k) * plane + ph * pool->out_w + pw0;
                    for (j = 0; j < n; ++j) out[j] = best[k * FM_POOL_SPAN + j];
                }
            }
        }
    }
    return FM_OK;
}

fm_status_t fm_conv_rows_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                    const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output) {
    if (scratch == 0) return FM_ERR_NULL;
    return fm_conv_any(p, rq, input, weights, bias, output);
}

fm_status_t fm_conv_pair_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                    const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output) {
    if (scratch == 0) return FM_ERR_NULL;
    return fm_conv_any(p, rq, input, weights, bias, output);
}

fm_status_t fm_conv_maxpool_pair_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                            const int8_t *input, const int8_t *weights, const int32_t *bias, void *scratch,
                            int8_t *output) {
    return fm_conv_maxpool_s8(p, pool, rq, input, weights, bias, scratch, output);
}
