/* flightml DSP kernels: convolution and convolution + max pooling with SMLAD. Hand-written,
 * C99 + ACLE. Same contract and results as kernels/portable/conv.c.
 * Patches of at most FM_TILE_GROUPS groups of four values (and pooling windows of at most two
 * taps) take the fast tiled path of conv_tile.c. Everything else takes the general path below:
 * im2col for two output positions at a time in chunks of FM_CONV_CHUNK values, FM_CONV_ROWS
 * channels per pass. Fused pooling takes the max of the accumulators before requantizing when
 * fm_requant is non-decreasing for the channel (always for valid constants), else the max of the
 * requantized values. */
#include "fm_dsp_conv.h"

#define FM_CONV_CHUNK 64 /* patch values per pass (multiple of 4) */
#define FM_CONV_ROWS 32  /* output channels per pass */

/* Patch values c0 .. c0 + n - 1 (order [ic][kh][kw]) of output position (oh, ow), as raw int8;
 * padding taps hold -in_offset (the input zero point), which widens to 0. */
static void fm_gather(const fm_conv_params_t *p, const int8_t *input, int32_t c_first, int32_t oh, int32_t ow,
                      int32_t c0, int32_t n, int8_t *dst) {
    const int8_t pad = (int8_t)(-p->in_offset);
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t end = c0 + n;
    int32_t kh_lo, kh_hi, kw_lo, kw_hi, ic, kh, kw, idx = 0;
    fm_taps(ih0, p->dil_h, p->in_h, p->k_h, &kh_lo, &kh_hi);
    fm_taps(iw0, p->dil_w, p->in_w, p->k_w, &kw_lo, &kw_hi);
    for (ic = 0; ic < cin_g && idx < end; ++ic) {
        const int8_t *x_c = input + (c_first + ic) * p->in_h * p->in_w;
        for (kh = 0; kh < p->k_h && idx < end; ++kh) {
            const int8_t *x_row = x_c + (ih0 + kh * p->dil_h) * p->in_w + iw0;
            const int row_ok = kh >= kh_lo && kh < kh_hi;
            if (idx + p->k_w <= c0) {
                idx += p->k_w;
                continue;
            }
            for (kw = 0; kw < p->k_w; ++kw, ++idx) {
                if (idx >= c0 && idx < end) {
                    dst[idx - c0] = (row_ok && kw >= kw_lo && kw < kw_hi) ? x_row[kw * p->dil_w] : pad;
                }
            }
        }
    }
}

/* The whole patch of output position (oh, ow) (fast path of fm_gather with c0 = 0, n = all). */
static void fm_gather_all(const fm_conv_params_t *p, const int8_t *input, int32_t c_first, int32_t oh, int32_t ow,
                          int8_t *dst) {
    const int8_t pad = (int8_t)(-p->in_offset);
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    const int32_t cin_g = p->in_c / p->groups;
    int32_t kh_lo, kh_hi, kw_lo, kw_hi, ic, kh, kw;
    fm_taps(ih0, p->dil_h, p->in_h, p->k_h, &kh_lo, &kh_hi);
    fm_taps(iw0, p->dil_w, p->in_w, p->k_w, &kw_lo, &kw_hi);
    for (ic = 0; ic < cin_g; ++ic) {
        const int8_t *x_c = input + (c_first + ic) * p->in_h * p->in_w;
        for (kh = 0; kh < p->k_h; ++kh) {
            const int8_t *x_row = x_c + (ih0 + kh * p->dil_h) * p->in_w + iw0;
            const int32_t lo = (kh >= kh_lo && kh < kh_hi) ? kw_lo : p->k_w;
            const int32_t hi = (kh >= kh_lo && kh < kh_hi) ? kw_hi : p->k_w;
            for (kw = 0; kw < lo; ++kw) *dst++ = pad;
            for (; kw < hi; ++kw) *dst++ = x_row[kw * p->dil_w];
            for (; kw < p->k_w; ++kw) *dst++ = pad;
        }
    }
}

/* acc[0..1] (position a, channels j, j+1) and acc[2..3] (position b) += xq . (w + w_off);
 * xq interleaves per group of four: a's two lane words, then b's. */
static void fm_mac2x2(const int16_t *xq, const int8_t *w, int32_t stride, int32_t n4, int32_t w_off, int32_t acc[4]) {
    const int16x2_t wo = fm_dsp_pair(w_off);
    const int8_t *w0 = w;
    const int8_t *w1 = w + stride;
    const int16_t *end = xq + 8 * n4;
    int32_t a0 = acc[0], a1 = acc[1], b0 = acc[2], b1 = acc[3];
    while (xq != end) {
        uint32_t v = fm_dsp_ld4(w0);
        int16x2_t lo = fm_dsp_wlo(wo, v);
        int16x2_t hi = fm_dsp_hi(wo, v);
        a0 = __smlad(fm_dsp_ld2(xq), lo, a0);
        a0 = __smlad(fm_dsp_ld2(xq + 2), hi, a0);
        b0 = __smlad(fm_dsp_ld2(xq + 4), lo, b0);
        b0 = __smlad(fm_dsp_ld2(xq + 6), hi, b0);
        v = fm_dsp_ld4(w1);
        lo = fm_dsp_wlo(wo, v);
        hi = fm_dsp_hi(wo, v);
        a1 = __smlad(fm_dsp_ld2(xq), lo, a1);
        a1 = __smlad(fm_dsp_ld2(xq + 2), hi, a1);
        b1 = __smlad(fm_dsp_ld2(xq + 4), lo, b1);
        b1 = __smlad(fm_dsp_ld2(xq + 6), hi, b1);
        xq += 8;
        w0 += 4;
        w1 += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = b0;
    acc[3] = b1;
}

/* Accumulators (no bias) of channels oc0 .. oc0 + nb - 1 (one group, nb <= FM_CONV_ROWS) at output
 * positions a = (pos[0], pos[1]) and b = (pos[2], pos[3]). */
static void fm_conv_acc2(const fm_conv_params_t *p, const int8_t *input, const int8_t *weights, int32_t oc0,
                         int32_t nb, const int32_t pos[4], int32_t *acc_a, int32_t *acc_b) {
    int8_t raw_a[FM_CONV_CHUNK], raw_b[FM_CONV_CHUNK];
    int16_t xq[2 * FM_CONV_CHUNK];
    int32_t acc[4];
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t len = cin_g * p->k_h * p->k_w;
    const int32_t c_first = (oc0 / (p->out_c / p->groups)) * cin_g;
    int32_t c0, j, t;
    for (c0 = 0; c0 < len; c0 += FM_CONV_CHUNK) {
        const int32_t n = len - c0 < FM_CONV_CHUNK ? len - c0 : FM_CONV_CHUNK;
        const int32_t n4 = n / 4;
        const int8_t *w = weights + oc0 * len + c0;
        if (n == len) {
            fm_gather_all(p, input, c_first, pos[0], pos[1], raw_a);
            fm_gather_all(p, input, c_first, pos[2], pos[3], raw_b);
        } else {
            fm_gather(p, input, c_first, pos[0], pos[1], c0, n, raw_a);
            fm_gather(p, input, c_first, pos[2], pos[3], c0, n, raw_b);
        }
        fm_dsp_widen(raw_a, n4, p->in_offset, xq, 8);
        fm_dsp_widen(raw_b, n4, p->in_offset, xq + 4, 8);
        if (c0 == 0) {
            for (j = 0; j < nb; ++j) acc_a[j] = acc_b[j] = 0;
        }
        for (j = 0; j + 2 <= nb; j += 2) {
            acc[0] = acc_a[j];
            acc[1] = acc_a[j + 1];
            acc[2] = acc_b[j];
            acc[3] = acc_b[j + 1];
            fm_mac2x2(xq, w + j * len, len, n4, p->w_offset, acc);
            acc_a[j] = acc[0];
            acc_a[j + 1] = acc[1];
            acc_b[j] = acc[2];
            acc_b[j + 1] = acc[3];
        }
        for (; j < nb; ++j) {
            int32_t i;
            for (i = 0; i < 4 * n4; ++i) {
                const int32_t wv = (int32_t)w[j * len + i] + p->w_offset;
                acc_a[j] += ((int32_t)raw_a[i] + p->in_offset) * wv;
                acc_b[j] += ((int32_t)raw_b[i] + p->in_offset) * wv;
            }
        }
        for (t = 4 * n4; t < n; ++t) {
            const int32_t xa = (int32_t)raw_a[t] + p->in_offset;
            const int32_t xb = (int32_t)raw_b[t] + p->in_offset;
            for (j = 0; j < nb; ++j) {
                const int32_t wv = (int32_t)w[j * len + t] + p->w_offset;
                acc_a[j] += xa * wv;
                acc_b[j] += xb * wv;
            }
        }
    }
}

/* Plain convolution through tiles of consecutive position pairs. */
static void fm_conv_tiled(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                          const int8_t *weights, const int32_t *bias, int8_t *output) {
    fm_pos_pair_t pairs[FM_TILE_PAIRS];
    const int32_t n_pos = p->out_h * p->out_w;
    const int32_t per_tile = fm_dsp_tile_pairs(p);
    int32_t q = 0, n = 0;
    while (q < n_pos) {
        const int32_t qb = q + 1 < n_pos ? q + 1 : q;
        pairs[n].ah = q / p->out_w;
        pairs[n].aw = q % p->out_w;
        pairs[n].bh = qb / p->out_w;
        pairs[n].bw = qb % p->out_w;
        pairs[n].dst_a = q;
        pairs[n].dst_b = qb;
        q = qb + 1;
        if (++n == per_tile || q >= n_pos) {
            fm_dsp_conv_tile(p, rq, input, weights, bias, pairs, n, 0, n_pos, output);
            n = 0;
        }
    }
}

/* Convolution + max pooling with windows of at most two taps: one position pair per window. */
static void fm_conv_pool_tiled(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                               const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output) {
    fm_pos_pair_t pairs[FM_TILE_PAIRS];
    const int32_t n_out = pool->out_h * pool->out_w;
    const int32_t per_tile = fm_dsp_tile_pairs(p);
    int32_t ph, pw, oc, n = 0;
    for (ph = 0; ph < pool->out_h; ++ph) {
        const int32_t h0 = ph * pool->stride_h - pool->pad_top;
        int32_t kh_lo, kh_hi;
        fm_taps(h0, pool->dil_h, pool->in_h, pool->k_h, &kh_lo, &kh_hi);
        for (pw = 0; pw < pool->out_w; ++pw) {
            const int32_t w0 = pw * pool->stride_w - pool->pad_left;
            const int32_t dst = ph * pool->out_w + pw;
            int32_t kw_lo, kw_hi, nw, last;
            fm_taps(w0, pool->dil_w, pool->in_w, pool->k_w, &kw_lo, &kw_hi);
            nw = kw_hi - kw_lo;
            if ((kh_hi - kh_lo) * nw == 0) {
                for (oc = 0; oc < p->out_c; ++oc) output[oc * n_out + dst] = -128;
                continue;
            }
            last = (kh_hi - kh_lo) * nw - 1; /* 0 or 1 */
            pairs[n].ah = h0 + kh_lo * pool->dil_h;
            pairs[n].aw = w0 + kw_lo * pool->dil_w;
            pairs[n].bh = h0 + (kh_lo + last / nw) * pool->dil_h;
            pairs[n].bw = w0 + (kw_lo + last % nw) * pool->dil_w;
            pairs[n].dst_a = pairs[n].dst_b = dst;
            if (++n == per_tile) {
                fm_dsp_conv_tile(p, rq, input, weights, bias, pairs, n, 1, n_out, output);
                n = 0;
            }
        }
    }
    if (n > 0) fm_dsp_conv_tile(p, rq, input, weights, bias, pairs, n, 1, n_out, output);
}

static int fm_conv_check(const fm_conv_params_t *p) {
    if (p->groups < 1 || p->in_c % p->groups != 0 || p->out_c % p->groups != 0) return FM_ERR_PARAM;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    return FM_OK;
}

int fm_conv_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
               const int8_t *weights, const int32_t *bias, int8_t *output) {
    int32_t acc_a[FM_CONV_ROWS], acc_b[FM_CONV_ROWS], pos[4];
    int32_t oc0, q, j;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || output == 0) return FM_ERR_NULL;
    if (fm_conv_check(p) != FM_OK) return FM_ERR_PARAM;
    if (fm_dsp_tile_ok(p)) {
        fm_conv_tiled(p, rq, input, weights, bias, output);
        return FM_OK;
    }
    {
        const int32_t n_pos = p->out_h * p->out_w;
        const int32_t cout_g = p->out_c / p->groups;
        int32_t nb;
        for (oc0 = 0; oc0 < p->out_c; oc0 += nb) {
            const int32_t group_end = (oc0 / cout_g + 1) * cout_g;
            nb = group_end - oc0 < FM_CONV_ROWS ? group_end - oc0 : FM_CONV_ROWS;
            for (q = 0; q < n_pos; q += 2) {
                const int32_t qb = q + 1 < n_pos ? q + 1 : q;
                pos[0] = q / p->out_w;
                pos[1] = q % p->out_w;
                pos[2] = qb / p->out_w;
                pos[3] = qb % p->out_w;
                fm_conv_acc2(p, input, weights, oc0, nb, pos, acc_a, acc_b);
                for (j = 0; j < nb; ++j) {
                    output[(oc0 + j) * n_pos + q] = (int8_t)fm_dsp_finish(acc_a[j], bias, rq, oc0 + j);
                    output[(oc0 + j) * n_pos + qb] = (int8_t)fm_dsp_finish(acc_b[j], bias, rq, oc0 + j);
                }
            }
        }
    }
    return FM_OK;
}

/* Fold the accumulator of channel ch into *best: raw (biased) when mono, else requantized. */
static void fm_pool_fold(int32_t acc, const int32_t *bias, const fm_requant_t *rq, int32_t ch, int mono,
                         int32_t *best) {
    const int32_t v = mono ? (bias != 0 ? __qadd(acc, bias[ch]) : acc) : fm_dsp_finish(acc, bias, rq, ch);
    if (v > *best) *best = v;
}

int fm_conv_maxpool_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                       const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output) {
    int32_t acc_a[FM_CONV_ROWS], acc_b[FM_CONV_ROWS], best[FM_CONV_ROWS], pos[4];
    int mono[FM_CONV_ROWS];
    int32_t oc0, ph, pw, j, t;
    if (p == 0 || pool == 0 || rq == 0 || input == 0 || weights == 0 || output == 0) return FM_ERR_NULL;
    if (fm_conv_check(p) != FM_OK || pool->in_h != p->out_h || pool->in_w != p->out_w) return FM_ERR_PARAM;
    if (fm_dsp_tile_ok(p) && pool->k_h * pool->k_w <= 2) {
        fm_conv_pool_tiled(p, pool, rq, input, weights, bias, output);
        return FM_OK;
    }
    {
        const int32_t n_out = pool->out_h * pool->out_w;
        const int32_t cout_g = p->out_c / p->groups;
        int32_t nb;
        for (oc0 = 0; oc0 < p->out_c; oc0 += nb) {
            const int32_t group_end = (oc0 / cout_g + 1) * cout_g;
            nb = group_end - oc0 < FM_CONV_ROWS ? group_end - oc0 : FM_CONV_ROWS;
            for (j = 0; j < nb; ++j) mono[j] = fm_dsp_monotonic(rq, oc0 + j);
            for (ph = 0; ph < pool->out_h; ++ph) {
                const int32_t h0 = ph * pool->stride_h - pool->pad_top;
                int32_t kh_lo, kh_hi;
                fm_taps(h0, pool->dil_h, pool->in_h, pool->k_h, &kh_lo, &kh_hi);
                for (pw = 0; pw < pool->out_w; ++pw) {
                    const int32_t w0 = pw * pool->stride_w - pool->pad_left;
                    int32_t kw_lo, kw_hi, n_taps, nw;
                    fm_taps(w0, pool->dil_w, pool->in_w, pool->k_w, &kw_lo, &kw_hi);
                    nw = kw_hi - kw_lo;
                    n_taps = (kh_hi - kh_lo) * nw;
                    for (j = 0; j < nb; ++j) best[j] = INT32_MIN;
                    for (t = 0; t < n_taps; t += 2) {
                        const int32_t tb = t + 1 < n_taps ? t + 1 : t;
                        pos[0] = h0 + (kh_lo + t / nw) * pool->dil_h;
                        pos[1] = w0 + (kw_lo + t % nw) * pool->dil_w;
                        pos[2] = h0 + (kh_lo + tb / nw) * pool->dil_h;
                        pos[3] = w0 + (kw_lo + tb % nw) * pool->dil_w;
                        fm_conv_acc2(p, input, weights, oc0, nb, pos, acc_a, acc_b);
                        for (j = 0; j < nb; ++j) {
                            fm_pool_fold(acc_a[j], bias, rq, oc0 + j, mono[j], &best[j]);
                            fm_pool_fold(acc_b[j], bias, rq, oc0 + j, mono[j], &best[j]);
                        }
                    }
                    for (j = 0; j < nb; ++j) {
                        int32_t v = -128;
                        if (n_taps > 0) v = mono[j] ? fm_dsp_requant(best[j], rq, oc0 + j) : best[j];
                        output[(oc0 + j) * n_out + ph * pool->out_w + pw] = (int8_t)(v > -128 ? v : -128);
                    }
                }
            }
        }
    }
    return FM_OK;
}
