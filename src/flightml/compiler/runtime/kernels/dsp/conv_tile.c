/* flightml DSP kernels: the fast convolution path. Hand-written, C99 + ACLE.
 * A tile of up to FM_TILE_PAIRS position pairs is im2col'ed once per channel group: each patch
 * (in_c/groups x k_h x k_w values, padding taps set to the input zero point so they widen to 0,
 * padded to whole groups of four) is widened into an interleaved buffer, then every pair of output
 * channels runs over every position pair: each weight word loaded serves both positions (2 x 2
 * SMLAD block), and requantization constants are loaded once per channel. A last partial group of
 * weights is widened once per channel pair from a zero-padded copy (no read past a weight row). */
#include "fm_dsp_conv.h"

typedef struct {
    int16_t xq[FM_TILE_CAP][8]; /* pair k, group g at [k * groups + g]: a.lo, a.hi, b.lo, b.hi */
} fm_tile_t;

static int32_t fm_tile_groups(const fm_conv_params_t *p) { return ((p->in_c / p->groups) * p->k_h * p->k_w + 3) / 4; }

int fm_dsp_tile_ok(const fm_conv_params_t *p) {
    const int32_t groups = fm_tile_groups(p);
    return groups >= 1 && groups <= FM_TILE_GROUPS;
}

int32_t fm_dsp_tile_pairs(const fm_conv_params_t *p) {
    const int32_t n = FM_TILE_CAP / fm_tile_groups(p);
    return n < FM_TILE_PAIRS ? n : FM_TILE_PAIRS;
}

/* Raw int8 patch of position (oh, ow) (order [ic][kh][kw]), padded with the zero point to 4 * groups.
 * Rows fully inside the input with unit dilation are copied a word at a time (raw has 4 bytes of
 * slack; a word read stays inside the input tensor). */
static void fm_tile_gather(const fm_conv_params_t *p, const int8_t *input, int32_t c_first, int32_t oh, int32_t ow,
                           int32_t groups, int8_t *raw) {
    const int8_t pad = (int8_t)(-p->in_offset);
    const int32_t k_h = p->k_h, k_w = p->k_w, dil_h = p->dil_h, dil_w = p->dil_w, in_w = p->in_w;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t plane = p->in_h * in_w;
    const int32_t k_w4 = (k_w + 3) & ~3;
    const int8_t *in_end = input + p->in_c * plane;
    int8_t *dst = raw;
    int8_t *const dst_end = raw + 4 * groups;
    int32_t kh_lo, kh_hi, kw_lo, kw_hi, ic, kh, kw;
    fm_taps(ih0, dil_h, p->in_h, k_h, &kh_lo, &kh_hi);
    fm_taps(iw0, dil_w, in_w, k_w, &kw_lo, &kw_hi);
    if (kh_lo == 0 && kh_hi == k_h && kw_lo == 0 && kw_hi == k_w && dil_w == 1 && k_w <= 4 &&
        input + (c_first + cin_g - 1) * plane + (ih0 + (k_h - 1) * dil_h) * in_w + iw0 + 4 <= in_end) {
        /* interior patch, rows of at most 4 values: one word copy per row */
        const int8_t *x_c = input + c_first * plane + ih0 * in_w + iw0;
        const int32_t row_step = dil_h * in_w;
        for (ic = 0; ic < cin_g; ++ic, x_c += plane) {
            const int8_t *x_row = x_c;
            for (kh = 0; kh < k_h; ++kh, x_row += row_step, dst += k_w) __builtin_memcpy(dst, x_row, 4);
        }
    } else {
        const int full = kw_lo == 0 && kw_hi == k_w && dil_w == 1;
        const int8_t *x_c = input + c_first * plane + ih0 * in_w + iw0;
        for (ic = 0; ic < cin_g; ++ic, x_c += plane) {
            const int8_t *x_row = x_c;
            for (kh = 0; kh < k_h; ++kh, x_row += dil_h * in_w) {
                const int row_ok = kh >= kh_lo && kh < kh_hi;
                if (row_ok && full && x_row + k_w4 <= in_end) {
                    for (kw = 0; kw < k_w; kw += 4) __builtin_memcpy(dst + kw, x_row + kw, 4);
                    dst += k_w;
                } else {
                    for (kw = 0; kw < k_w; ++kw) *dst++ = (row_ok && kw >= kw_lo && kw < kw_hi) ? x_row[kw * dil_w] : pad;
                }
            }
        }
    }
    while (dst < dst_end) *dst++ = pad;
}

/* Widen the raw patch into half `half` (0: position a, 1: b) of a pair's interleaved groups. */
static void fm_tile_widen(const int8_t *raw, int32_t groups, int32_t x_off, int16_t (*xq)[8], int32_t half) {
    const int16x2_t xo = fm_dsp_pair(x_off);
    int32_t g;
    for (g = 0; g < groups; ++g) {
        const uint32_t v = fm_dsp_ld4(raw + 4 * g);
        fm_dsp_st2(&xq[g][4 * half], __sxtab16(xo, (int8x4_t)v));
        fm_dsp_st2(&xq[g][4 * half + 2], fm_dsp_hi(xo, v));
    }
}

/* acc = {a.c0, a.c1, b.c0, b.c1} += pair . (w + w_off) over n4 groups (rows w0 and w1). */
static inline void fm_tile_mac(const int16_t (*xq)[8], const int8_t *w0, const int8_t *w1, int32_t n4,
                               int16x2_t wo, int32_t acc[4]) {
    const int16_t *x = &xq[0][0];
    const int16_t *end = x + 8 * n4;
    int32_t a0 = acc[0], a1 = acc[1], b0 = acc[2], b1 = acc[3];
    while (x != end) {
        uint32_t v = fm_dsp_ld4(w0);
        int16x2_t lo = fm_dsp_wlo(wo, v);
        int16x2_t hi = fm_dsp_hi(wo, v);
        a0 = __smlad(fm_dsp_ld2(x), lo, a0);
        a0 = __smlad(fm_dsp_ld2(x + 2), hi, a0);
        b0 = __smlad(fm_dsp_ld2(x + 4), lo, b0);
        b0 = __smlad(fm_dsp_ld2(x + 6), hi, b0);
        v = fm_dsp_ld4(w1);
        lo = fm_dsp_wlo(wo, v);
        hi = fm_dsp_hi(wo, v);
        a1 = __smlad(fm_dsp_ld2(x), lo, a1);
        a1 = __smlad(fm_dsp_ld2(x + 2), hi, a1);
        b1 = __smlad(fm_dsp_ld2(x + 4), lo, b1);
        b1 = __smlad(fm_dsp_ld2(x + 6), hi, b1);
        x += 8;
        w0 += 4;
        w1 += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = b0;
    acc[3] = b1;
}

/* The last `rest` (1..3) weights of a row, zero-padded to a word. */
static uint32_t fm_tile_tail_word(const int8_t *w, int32_t rest) {
    uint32_t v = 0;
    int32_t i;
    for (i = 0; i < rest; ++i) v |= (uint32_t)(uint8_t)w[i] << (8 * i);
    return v;
}

/* The biased accumulator of pair k, column col: the max of positions a and b when `fold`. */
static inline int32_t fm_tile_pick(const int32_t (*acc)[4], int32_t k, int32_t col, int fold, int32_t bias) {
    const int32_t a = acc[k][col];
    const int32_t b = acc[k][col + 2];
    return __qadd(fold && b > a ? b : a, bias);
}

/* Requantize and store column `col` (0: first channel of the pair, 1: second) for channel ch:
 * plain writes positions a and b; pooled writes max(a, b), taken before requantizing when
 * fm_requant is non-decreasing for the channel, else after. */
static void fm_tile_out(const int32_t (*acc)[4], int32_t col, const fm_pos_pair_t *pairs, int32_t n_pairs,
                        int32_t bias, const fm_requant_t *rq, int32_t ch, int pool, int32_t plane, int8_t *out) {
    fm_dsp_rq_t q;
    int32_t k;
    const int fold = pool && fm_dsp_monotonic(rq, ch);
    fm_dsp_rq_load(rq, ch, &q);
    out += ch * plane;
    if (q.fast && (!pool || fold)) {
        const int32_t mult = q.mult, round_hi = q.round_hi, rshift = q.rshift, zp = q.zp, lo = q.lo, hi = q.hi;
        for (k = 0; k < n_pairs; ++k) {
            out[pairs[k].dst_a] = (int8_t)fm_dsp_rq_fast(fm_tile_pick(acc, k, col, fold, bias), mult, round_hi,
                                                         rshift, zp, lo, hi);
            if (!pool) {
                const int32_t b = __qadd(acc[k][col + 2], bias);
                out[pairs[k].dst_b] = (int8_t)fm_dsp_rq_fast(b, mult, round_hi, rshift, zp, lo, hi);
            }
        }
        return;
    }
    for (k = 0; k < n_pairs; ++k) {
        const int32_t a = fm_dsp_rq_apply(&q, fm_tile_pick(acc, k, col, fold, bias));
        const int32_t b = fm_dsp_rq_apply(&q, __qadd(acc[k][col + 2], bias));
        if (pool) {
            out[pairs[k].dst_a] = (int8_t)(fold || a > b ? a : b);
        } else {
            out[pairs[k].dst_a] = (int8_t)a;
            out[pairs[k].dst_b] = (int8_t)b;
        }
    }
}

void fm_dsp_conv_tile(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                      const int8_t *weights, const int32_t *bias, const fm_pos_pair_t *pairs, int32_t n_pairs,
                      int pool, int32_t plane, int8_t *output) {
    fm_tile_t tile;
    int8_t raw[4 * FM_TILE_GROUPS + 4];
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t cout_g = p->out_c / p->groups;
    const int32_t len = cin_g * p->k_h * p->k_w;
    const int32_t groups = (len + 3) / 4;
    const int32_t n4 = len / 4;
    const int32_t rest = len - 4 * n4;
    const int16x2_t wo = fm_dsp_pair(p->w_offset);
    int32_t g, k, oc;
    for (g = 0; g < p->groups; ++g) {
        for (k = 0; k < n_pairs; ++k) {
            fm_tile_gather(p, input, g * cin_g, pairs[k].ah, pairs[k].aw, groups, raw);
            fm_tile_widen(raw, groups, p->in_offset, &tile.xq[k * groups], 0);
            fm_tile_gather(p, input, g * cin_g, pairs[k].bh, pairs[k].bw, groups, raw);
            fm_tile_widen(raw, groups, p->in_offset, &tile.xq[k * groups], 1);
        }
        for (oc = g * cout_g; oc < (g + 1) * cout_g; oc += 2) {
            const int32_t oc1 = oc + 1 < (g + 1) * cout_g ? oc + 1 : oc;
            const int8_t *w0 = weights + oc * len;
            const int8_t *w1 = weights + oc1 * len;
            const int32_t b0 = bias != 0 ? bias[oc] : 0;
            const int32_t b1 = bias != 0 ? bias[oc1] : 0;
            const uint32_t t0 = rest ? fm_tile_tail_word(w0 + 4 * n4, rest) : 0u;
            const uint32_t t1 = rest ? fm_tile_tail_word(w1 + 4 * n4, rest) : 0u;
            const int16x2_t t0lo = fm_dsp_wlo(wo, t0), t0hi = fm_dsp_hi(wo, t0);
            const int16x2_t t1lo = fm_dsp_wlo(wo, t1), t1hi = fm_dsp_hi(wo, t1);
            int32_t acc[FM_TILE_PAIRS][4];
            for (k = 0; k < n_pairs; ++k) {
                int32_t *c = acc[k];
                c[0] = c[1] = c[2] = c[3] = 0;
                fm_tile_mac(&tile.xq[k * groups], w0, w1, n4, wo, c);
                if (rest) {
                    const int16_t *x = tile.xq[k * groups + n4];
                    c[0] = __smlad(fm_dsp_ld2(x + 2), t0hi, __smlad(fm_dsp_ld2(x), t0lo, c[0]));
                    c[1] = __smlad(fm_dsp_ld2(x + 2), t1hi, __smlad(fm_dsp_ld2(x), t1lo, c[1]));
                    c[2] = __smlad(fm_dsp_ld2(x + 6), t0hi, __smlad(fm_dsp_ld2(x + 4), t0lo, c[2]));
                    c[3] = __smlad(fm_dsp_ld2(x + 6), t1hi, __smlad(fm_dsp_ld2(x + 4), t1lo, c[3]));
                }
            }
            fm_tile_out(acc, 0, pairs, n_pairs, b0, rq, oc, pool, plane, output);
            if (oc1 != oc) fm_tile_out(acc, 1, pairs, n_pairs, b1, rq, oc1, pool, plane, output);
        }
    }
}
