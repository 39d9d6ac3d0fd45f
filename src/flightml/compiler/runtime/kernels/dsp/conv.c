/* flightml DSP kernels: convolution and convolution + max pooling with SMLAD. Hand-written,
 * C99 + ACLE. Same contract and results as kernels/portable/conv.c.
 * Patches of at most FM_TILE_GROUPS groups of four values (and pooling windows of at most two
 * taps) take the tiled SMLAD path of conv_tile.c; anything larger takes the scalar path below
 * (the portable algorithm, kept small: correctness first, flash matters on these parts). */
#include "fm_dsp_conv.h"

/* Sum of products of one output position (scalar path). */
static int32_t fm_conv_point(const fm_conv_params_t *p, const int8_t *input, const int8_t *weights, int32_t oc,
                             int32_t oh, int32_t ow) {
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t c0 = (oc / (p->out_c / p->groups)) * cin_g;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    const int8_t *w = weights + oc * cin_g * p->k_h * p->k_w;
    int32_t kh_lo, kh_hi, kw_lo, kw_hi, ic, kh, kw;
    int32_t acc = 0;
    fm_taps(ih0, p->dil_h, p->in_h, p->k_h, &kh_lo, &kh_hi);
    fm_taps(iw0, p->dil_w, p->in_w, p->k_w, &kw_lo, &kw_hi);
    for (ic = 0; ic < cin_g; ++ic) {
        const int8_t *x_c = input + (c0 + ic) * p->in_h * p->in_w;
        for (kh = kh_lo; kh < kh_hi; ++kh) {
            const int8_t *x_row = x_c + (ih0 + kh * p->dil_h) * p->in_w + iw0;
            const int8_t *w_row = w + (ic * p->k_h + kh) * p->k_w;
            for (kw = kw_lo; kw < kw_hi; ++kw) {
                acc += ((int32_t)x_row[kw * p->dil_w] + p->in_offset) * ((int32_t)w_row[kw] + p->w_offset);
            }
        }
    }
    return acc;
}

static int32_t fm_conv_out(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                           const int8_t *weights, const int32_t *bias, int32_t oc, int32_t oh, int32_t ow) {
    return fm_dsp_finish(fm_conv_point(p, input, weights, oc, oh, ow), bias, rq, oc);
}

static int fm_conv_check(const fm_conv_params_t *p) {
    if (p->groups < 1 || p->in_c % p->groups != 0 || p->out_c % p->groups != 0) return FM_ERR_PARAM;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return FM_ERR_PARAM;
    return FM_OK;
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

int fm_conv_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
               const int8_t *weights, const int32_t *bias, int8_t *output) {
    int32_t oc, oh, ow;
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || output == 0) return FM_ERR_NULL;
    if (fm_conv_check(p) != FM_OK) return FM_ERR_PARAM;
    if (fm_dsp_tile_ok(p)) {
        fm_conv_tiled(p, rq, input, weights, bias, output);
        return FM_OK;
    }
    for (oc = 0; oc < p->out_c; ++oc) {
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) *output++ = (int8_t)fm_conv_out(p, rq, input, weights, bias, oc, oh, ow);
        }
    }
    return FM_OK;
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

int fm_conv_maxpool_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                       const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output) {
    int32_t oc, ph, pw, kh, kw, kh_lo, kh_hi, kw_lo, kw_hi;
    if (p == 0 || pool == 0 || rq == 0 || input == 0 || weights == 0 || output == 0) return FM_ERR_NULL;
    if (fm_conv_check(p) != FM_OK || pool->in_h != p->out_h || pool->in_w != p->out_w) return FM_ERR_PARAM;
    if (fm_dsp_tile_ok(p) && pool->k_h * pool->k_w <= 2) {
        fm_conv_pool_tiled(p, pool, rq, input, weights, bias, output);
        return FM_OK;
    }
    for (oc = 0; oc < p->out_c; ++oc) {
        for (ph = 0; ph < pool->out_h; ++ph) {
            const int32_t h0 = ph * pool->stride_h - pool->pad_top;
            fm_taps(h0, pool->dil_h, pool->in_h, pool->k_h, &kh_lo, &kh_hi);
            for (pw = 0; pw < pool->out_w; ++pw) {
                const int32_t w0 = pw * pool->stride_w - pool->pad_left;
                int32_t best = -128;
                fm_taps(w0, pool->dil_w, pool->in_w, pool->k_w, &kw_lo, &kw_hi);
                for (kh = kh_lo; kh < kh_hi; ++kh) {
                    for (kw = kw_lo; kw < kw_hi; ++kw) {
                        const int32_t v = fm_conv_out(p, rq, input, weights, bias, oc, h0 + kh * pool->dil_h,
                                                      w0 + kw * pool->dil_w);
                        if (v > best) best = v;
                    }
                }
                *output++ = (int8_t)best;
            }
        }
    }
    return FM_OK;
}
