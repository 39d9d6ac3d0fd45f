/* flightml portable kernels: convolution and convolution + max pooling. Hand-written, C99.
 * Rows of outputs are computed in blocks of FM_BLOCK positions whose taps are all inside the input
 * (no padding checks in the inner loop); border positions take the per-point path. */
#include "fm_kernels.h"

#define FM_BLOCK 16

/* First and one-past-last kernel tap k in [0, k) with 0 <= base + k * dil < size. */
static void fm_tap_range(int32_t base, int32_t dil, int32_t size, int32_t k, int32_t *lo, int32_t *hi) {
    int32_t a = 0;
    int32_t b = k;
    while (a < k && base + a * dil < 0) ++a;
    while (b > a && base + (b - 1) * dil >= size) --b;
    *lo = a;
    *hi = b;
}

static int32_t fm_finish(const fm_requant_t *rq, const int32_t *bias, int32_t acc, int32_t oc) {
    if (bias != 0) acc = fm_sat_add32(acc, bias[oc]);
    return fm_requant(acc, rq, oc);
}

/* Sum of products of one output position (channel oc, row oh, column ow), any padding. */
static int32_t fm_conv_point(const fm_conv_params_t *p, const int8_t *input, const int8_t *weights,
                             int32_t oc, int32_t oh, int32_t ow) {
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t c0 = (oc / (p->out_c / p->groups)) * cin_g;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    const int32_t taps = p->k_h * p->k_w;
    const int32_t plane = p->in_h * p->in_w;
    const int32_t dw = p->dil_w;
    const int32_t wo = p->w_offset;
    const int8_t *w_oc = weights + oc * cin_g * taps;
    int32_t kh_lo, kh_hi, kw_lo, kw_hi, ic, kh, kw;
    int32_t acc = 0;
    int32_t wsum = 0;
    fm_tap_range(ih0, p->dil_h, p->in_h, p->k_h, &kh_lo, &kh_hi);
    fm_tap_range(iw0, dw, p->in_w, p->k_w, &kw_lo, &kw_hi);
    for (ic = 0; ic < cin_g; ++ic) {
        for (kh = kh_lo; kh < kh_hi; ++kh) {
            const int8_t *x_row = input + (c0 + ic) * plane + (ih0 + kh * p->dil_h) * p->in_w + iw0;
            const int8_t *w_row = w_oc + ic * taps + kh * p->k_w;
            for (kw = kw_lo; kw < kw_hi; ++kw) {
                const int32_t wv = (int32_t)w_row[kw] + wo;
                acc += (int32_t)x_row[kw * dw] * wv;
                wsum += wv;
            }
        }
    }
    return acc + p->in_offset * wsum; /* sum (x + io) * wv, partial sums within the full sum's bound */
}

/* Sums of products of n <= FM_BLOCK consecutive positions of row oh from column ow whose taps are all
 * inside the input along W (rows outside the input along H are skipped), for output channels oc and
 * oc + 1 when two (same group): acc[k * FM_BLOCK + j]. Each input load serves both channels. Uses
 * sum (x + io) * wv = sum x * wv + io * sum wv; both partial sums are bounded by the full sum's bound. */
static void fm_conv_block(const fm_conv_params_t *p, const int8_t *input, const int8_t *weights, int32_t oc,
                          int32_t two, int32_t oh, int32_t ow, int32_t n, int32_t *acc) {
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t c0 = (oc / (p->out_c / p->groups)) * cin_g;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    const int32_t sw = p->stride_w;
    const int32_t taps = p->k_h * p->k_w;
    const int8_t *w0 = weights + oc * cin_g * taps;
    const int8_t *w1 = two ? w0 + cin_g * taps : w0;
    const int8_t *x_g = input + c0 * p->in_h * p->in_w;
    int32_t *acc1 = acc + FM_BLOCK;
    int32_t kh_lo, kh_hi, ic, kh, kw, j;
    int32_t wsum0 = 0;
    int32_t wsum1 = 0;
    fm_tap_range(ih0, p->dil_h, p->in_h, p->k_h, &kh_lo, &kh_hi);
    for (j = 0; j < 2 * FM_BLOCK; ++j) acc[j] = 0;
    for (ic = 0; ic < cin_g; ++ic) {
        for (kh = kh_lo; kh < kh_hi; ++kh) {
            const int8_t *x_row = x_g + (ic * p->in_h + ih0 + kh * p->dil_h) * p->in_w + iw0;
            const int32_t w_at = ic * taps + kh * p->k_w;
            for (kw = 0; kw < p->k_w; ++kw) {
                /* 16-bit products: |x| <= 128, |w + w_offset| <= 255 */
                const int16_t wv0 = (int16_t)(w0[w_at + kw] + p->w_offset);
                const int16_t wv1 = (int16_t)(w1[w_at + kw] + p->w_offset);
                const int8_t *xp = x_row + kw * p->dil_w;
                wsum0 += wv0;
                wsum1 += wv1;
                if (sw == 1 && n == FM_BLOCK) {
                    for (j = 0; j < FM_BLOCK; ++j) {
                        acc[j] += (int16_t)(xp[j] * wv0);
                        acc1[j] += (int16_t)(xp[j] * wv1);
                    }
                } else {
                    for (j = 0; j < n; ++j) {
                        acc[j] += (int16_t)(xp[j * sw] * wv0);
                        acc1[j] += (int16_t)(xp[j * sw] * wv1);
                    }
                }
            }
        }
    }
    wsum0 *= p->in_offset;
    wsum1 *= p->in_offset;
    for (j = 0; j < FM_BLOCK; ++j) {
        acc[j] += wsum0;
        acc1[j] += wsum1;
    }
}

/* Requantized outputs of row oh, columns [ow0, ow0 + count), of channel oc (and oc + 1 when `two`),
 * written to dst[k * dst_stride + 0 .. count). Columns whose taps all lie inside the input along W go
 * through fm_conv_block in full blocks (the last block of a run is shifted left to stay full; its
 * already written outputs are recomputed, not rewritten); border columns take the per-point path. */
static void fm_conv_row(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                        const int8_t *weights, const int32_t *bias, int32_t oc, int32_t two, int32_t oh,
                        int32_t ow0, int32_t count, int8_t *dst, int32_t dst_stride) {
    const int32_t end = ow0 + count;
    const int32_t span = (p->k_w - 1) * p->dil_w;
    int32_t lo = (p->pad_left + p->stride_w - 1) / p->stride_w;
    int32_t hi = p->in_w - span + p->pad_left > 0 ? (p->in_w - span + p->pad_left - 1) / p->stride_w + 1 : 0;
    int32_t acc[2 * FM_BLOCK];
    int32_t ow, k;
    if (lo < ow0) lo = ow0;
    if (lo > end) lo = end; /* all columns border (in_w < kernel span): none past the row */
    if (hi > end) hi = end;
    if (hi < lo) hi = lo;
    for (ow = ow0; ow < lo; ++ow) {
        for (k = 0; k <= two; ++k) {
            dst[k * dst_stride + ow - ow0] =
                (int8_t)fm_finish(rq, bias, fm_conv_point(p, input, weights, oc + k, oh, ow), oc + k);
        }
    }
    while (ow < hi) {
        int32_t n = hi - ow < FM_BLOCK ? hi - ow : FM_BLOCK;
        int32_t skip = 0;
        if (n < FM_BLOCK && hi - lo >= FM_BLOCK) {
            skip = FM_BLOCK - n;
            n = FM_BLOCK;
        }
        fm_conv_block(p, input, weights, oc, two, oh, ow - skip, n, acc);
        for (k = 0; k <= two; ++k) {
            fm_requant_n(acc + k * FM_BLOCK + skip, bias, n - skip, rq, oc + k, 0, dst + k * dst_stride + ow - ow0);
        }
        ow += n - skip;
    }
    for (; ow < end; ++ow) {
        for (k = 0; k <= two; ++k) {
            dst[k * dst_stride + ow - ow0] =
                (int8_t)fm_finish(rq, bias, fm_conv_point(p, input, weights, oc + k, oh, ow), oc + k);
        }
    }
}

/* 1 when output channels oc and oc + 1 exist and belong to the same group (computed together). */
static int32_t fm_pair(const fm_conv_params_t *p, int32_t oc) {
    const int32_t per_group = p->out_c / p->groups;
    return oc + 1 < p->out_c && (oc + 1) / per_group == oc / per_group;
}

static fm_status_t fm_conv_check(const fm_conv_params_t *p) {
    if (p->groups < 1 || p->in_c % p->groups != 0 || p->out_c % p->groups != 0) return FM_ERR_PARAM;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    return FM_OK;
}

/* Every convolution entry point of fm_kernels.h (one algorithm here). */
static fm_status_t fm_conv_any(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                       const int8_t *weights, const int32_t *bias, int8_t *output) {
    int32_t oc, oh, two;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || output == 0) return FM_ERR_NULL;
    if (fm_conv_check(p) != FM_OK) return FM_ERR_PARAM;
    for (oc = 0; oc < p->out_c; oc += 1 + two) {
        int8_t *out_c = output + oc * p->out_h * p->out_w;
        two = fm_pair(p, oc);
        for (oh = 0; oh < p->out_h; ++oh) {
            fm_conv_row(p, rq, input, weights, bias, oc, two, oh, 0, p->out_w, out_c + oh * p->out_w,
                        p->out_h * p->out_w);
        }
    }
    return FM_OK;
}

fm_status_t fm_conv_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
               const int8_t *weights, const int32_t *bias, int8_t *output) {
    return fm_conv_any(p, rq, input, weights, bias, output);
}

fm_status_t fm_conv_dw_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                  const int8_t *weights, const int32_t *bias, int8_t *output) {
    return fm_conv_any(p, rq, input, weights, bias, output);
}

fm_status_t fm_conv_mm_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                  const int8_t *weights, const int32_t *bias, int8_t *output) {
    return fm_conv_any(p, rq, input, weights, bias, output);
}

/* Pooled columns are processed in groups whose conv columns fit in FM_POOL_SPAN values. */
#define FM_POOL_SPAN 64

fm_status_t fm_conv_maxpool_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                       const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output) {
    const int32_t span = (pool->k_w - 1) * pool->dil_w + 1;
    const int32_t plane = pool->out_h * pool->out_w;
    int8_t conv[2 * FM_POOL_SPAN];
    int8_t best[2 * FM_POOL_SPAN];
    int32_t oc, ph, pw0, group, kh, kw, kh_lo, kh_hi, j, k, two, simple;
    if (p == 0 || pool == 0 || rq == 0 || input == 0 || weights == 0 || output == 0) return FM_ERR_NULL;
    if (fm_conv_check(p) != FM_OK || pool->in_h != p->out_h || pool->in_w != p->out_w) return FM_ERR_PARAM;
    if (pool->stride_w < 1 || pool->stride_h < 1 || span > FM_POOL_SPAN) return FM_ERR_PARAM;
    group = (FM_POOL_SPAN - span) / pool->stride_w + 1;
    /* no padding or dilation and every window inside the conv row: no per-tap bounds checks */
    simple = pool->pad_left == 0 && pool->dil_w == 1 && (pool->out_w - 1) * pool->stride_w + pool->k_w <= pool->in_w;
    for (oc = 0; oc < p->out_c; oc += 1 + two) {
        two = fm_pair(p, oc);
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
                    fm_conv_row(p, rq, input, weights, bias, oc, two, h0 + kh * pool->dil_h, c0, c1 - c0, conv,
                                FM_POOL_SPAN);
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
