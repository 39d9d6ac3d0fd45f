/* Property check run under QEMU: the DSP kernel set equals the portable set bit for bit on
 * pseudo-random shapes, offsets, requantization constants (fast and fallback paths) and data.
 * The portable kernels are compiled with -Dfm_conv_s8=ref_fm_conv_s8 (and so on) and linked beside
 * the DSP ones; both call the same fm_requant: fixedpoint, ort-int when this file is compiled with
 * FM_CHECK_ORT_INT 1 (its mantissas and exponents share the mult/shift arrays: the DSP set must not
 * take them for fixed-point constants), or tflm with FM_CHECK_TFLM 1 (multipliers stored negated: the
 * DSP set's double-rounding rule). Average pooling (integer and TFLite's) every tenth case. Exit code: 0 all
 * equal, 1 + kernel id on the first difference, 9 on a status difference (the pair entry points: 5 plain,
 * 6 with max pooling; average pooling: 7 integer, 8 TFLite's). */
#include <stdint.h>

#include "fm_kernels.h"
#include "ref_kernels.h" /* ref_fm_* prototypes, generated from abi.py by test_kernels.py */

int main(void);

#define CASES 500
static uint32_t seed = 12345u;
static int8_t x[4096], w[65536], y_dsp[2048], y_ref[2048];
static int32_t b[64], mult[64];
static int8_t shift[64];
/* kernel scratch, separate per set: the most any shape here needs (conv_mm.c: 2,696 bytes) */
static uint64_t s_dsp[337], s_ref[337]; /* 8-byte aligned, as the planner places it */

static uint32_t rnd(uint32_t n) {
    seed = seed * 1664525u + 1013904223u;
    return (seed >> 8) % n;
}

static int32_t span(int32_t lo, int32_t hi) { return lo + (int32_t)rnd((uint32_t)(hi - lo + 1)); }

static void fill(int8_t *a, int32_t n) {
    const uint32_t kind = rnd(8); /* sometimes all at an extreme */
    int32_t i;
    for (i = 0; i < n; ++i) a[i] = (int8_t)(kind == 0 ? -128 : kind == 1 ? 127 : span(-128, 127));
}

#ifndef FM_CHECK_ORT_INT
#define FM_CHECK_ORT_INT 0
#endif
#ifndef FM_CHECK_TFLM
#define FM_CHECK_TFLM 0
#endif

/* A multiplier of the compiled mode's kind: in [2^30, 2^31), negated in tflm. */
static int32_t multiplier(void) {
    const int32_t m = span(1 << 30, 0x7FFFFFFF);
    return FM_CHECK_TFLM ? -m : m;
}

static void requant(fm_requant_t *rq, int32_t channels) {
    int32_t i;
    for (i = 0; i < channels; ++i) {
        if (FM_CHECK_ORT_INT) { /* float32 scale = mant * 2^exp, about 2^-13 .. 2^-1 */
            mult[i] = span(1 << 23, (1 << 24) - 1);
            shift[i] = (int8_t)span(-36, -25);
        } else { /* inline rules (shifts -2 .. -23, and to -31), fm_requant fallback */
            mult[i] = multiplier();
            shift[i] = (int8_t)(rnd(8) == 0 ? span(-1, 2) : rnd(8) == 0 ? span(-31, -15) : span(-14, -2));
        }
        /* biases near the int32 limits: saturating addition (the DSP conv's general path) */
        b[i] = rnd(16) != 0 ? span(-20000, 20000)
             : rnd(2) ? 0x7FFFFFFF - (int32_t)rnd(4000000) : (-0x7FFFFFFF - 1) + (int32_t)rnd(4000000);
    }
    rq->mult = mult;
    rq->shift = shift;
    rq->scale = 0;
    rq->per_channel = (int32_t)rnd(2);
    rq->out_zp = span(-128, 127);
    rq->act_min = rnd(2) ? -128 : span(-128, 0);
    rq->act_max = rnd(2) ? 127 : span(rq->act_min, 127);
}

static int32_t out_dim(int32_t in, int32_t pad, int32_t k, int32_t dil, int32_t stride, int32_t pad_end) {
    return (in + pad + pad_end - dil * (k - 1) - 1) / stride + 1;
}

/* big: many channels (the matrix-multiply path's blocks of output channels and chunks of the patch),
 * 1 x 1 or up to 3 x 3 kernels on small planes; dw: depthwise (mostly 3 taps along w, stride 1 or 2; small
 * planes through the padded copy, a third larger ones, some through the row path; a sixth 3 x 3 planes with
 * 3 x 3 taps and padding 1, half 3 x 3 taps with stride 1 or 2, mostly the same along both axes);
 * else the small shapes of every path. */
/* The pair entry points (fm_kernels.h) on the same case: equal to the portable set on their shapes; the DSP
 * set refuses every other shape (FM_ERR_PARAM) rather than link a scalar fallback. */
static int pair_case(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                     const int32_t *bias, int32_t n) {
    int32_t i, rd, rr;
    int ok = p->k_w == 3 && p->stride_w == 1 && p->dil_w == 1 && p->out_w >= 2 && (p->in_c / p->groups) * p->k_h <= 16;
    if (pool != 0) {
        ok = ok && pool->k_h == 1 && pool->k_w == 2 && pool->stride_h == 1 && pool->stride_w == 2 &&
             pool->dil_w == 1 && pool->pad_top == 0 && pool->pad_left == 0 && pool->out_h == p->out_h &&
             pool->out_w == p->out_w / 2;
        rd = fm_conv_maxpool_pair_s8(p, pool, rq, x, w, bias, s_dsp, y_dsp);
        rr = ref_fm_conv_maxpool_pair_s8(p, pool, rq, x, w, bias, s_ref, y_ref);
    } else {
        rd = fm_conv_pair_s8(p, rq, x, w, bias, s_dsp, y_dsp);
        rr = ref_fm_conv_pair_s8(p, rq, x, w, bias, s_ref, y_ref);
    }
    if (!ok) return rd == FM_ERR_PARAM && rr == FM_OK ? 0 : 9;
    if (rd != rr) return 9;
    for (i = 0; i < n; ++i) {
        if (y_dsp[i] != y_ref[i]) return pool != 0 ? 6 : 5;
    }
    return 0;
}

static int conv_case(int pooled, int big, int dw) {
    fm_conv_params_t p;
    fm_pool_params_t pool;
    fm_requant_t rq;
    int32_t groups = big ? 1 + (int32_t)rnd(2) : 1 + (int32_t)rnd(3), n, i, rd, rr;
    const int32_t *bias = rnd(4) ? b : 0;
    /* depthwise: 0 the 3 x 3 plane path (3 x 3 taps, stride 1, padding 1); 1 3 x 3 taps, stride 1 or 2 (mostly
     * the same on both axes), padding 0 or 1 (the padded-plane loops: two rows per pass, stride 2, bands) */
    const uint32_t dw_kind = !dw ? 4 : rnd(2) ? 1 : rnd(3) ? 2 : 0; /* 2: any other depthwise shape */
    const int plane3 = dw_kind == 0;
    /* stride 2, padding 0 at top and left, 1 at bottom and right (VWW's): 0 on 6 x 6, 1 on even planes */
    const uint32_t same2 = dw_kind == 1 ? rnd(4) : 2;
    const int rows3 = big && rnd(4) == 0;   /* conv_rows.c: 3 taps along w, at most 9 window rows */
    p.groups = groups;
    p.in_c = groups * (big ? span(1, 40 / groups) : span(1, 10 / groups + 1));
    p.out_c = groups * (big ? span(4, 48 / groups) : span(1, 12 / groups + 1));
    p.k_h = big ? span(1, 3) : span(1, 2);
    p.k_w = big ? span(1, 3) : span(1, 5);
    p.in_h = big ? span(1, 6) : span(1, 3);
    p.in_w = big ? span(1, 8) : span(1, 24);
    if (big && rnd(2)) { /* pointwise; half of them 4 or 8 channels per group (the narrow path) */
        p.k_h = 1;
        p.k_w = 1;
        if (rnd(2)) p.in_c = groups * (rnd(2) ? 4 : 8);
    }
    if (dw) {
        p.groups = p.in_c = p.out_c = span(1, 9);
        p.k_h = span(1, 4);
        p.k_w = rnd(4) ? 3 : span(1, 4);
        p.in_h = span(1, 8);
        p.in_w = span(1, 20);
        if (rnd(3) == 0) { /* larger planes, some whose padded copy exceeds 1,024 bytes: the row path */
            p.groups = p.in_c = p.out_c = span(1, 2);
            p.in_h = span(9, 48);
            p.in_w = span(4, 40);
        }
    }
    p.stride_h = span(1, 2);
    p.stride_w = span(1, 2);
    p.dil_h = span(1, 2);
    p.dil_w = span(1, 2);
    if (rows3) {
        p.in_c = groups * span(1, 3);
        p.k_h = span(1, 3);
        p.k_w = 3;
        p.dil_w = 1;
    }
    if (!big && !dw && rnd(2)) { /* the DSP set's pair path: 3 taps along w, stride 1, no dilation */
        p.k_w = 3;
        p.stride_w = 1;
        p.dil_w = 1;
    }
    p.pad_top = span(0, p.k_h - 1);
    p.pad_left = span(0, p.k_w - 1);
    p.out_h = out_dim(p.in_h, p.pad_top, p.k_h, p.dil_h, p.stride_h, span(0, p.k_h - 1));
    p.out_w = out_dim(p.in_w, p.pad_left, p.k_w, p.dil_w, p.stride_w, span(0, p.k_w - 1));
    if (dw_kind == 1) {
        if (rnd(3) == 0) { /* one plane whose padded copy exceeds 1,024 bytes: copied in bands of rows */
            p.groups = p.in_c = p.out_c = 1;
            p.in_h = span(40, 64);
            p.in_w = span(24, 32);
        }
        p.k_h = p.k_w = 3;
        p.stride_w = span(1, 2);
        p.stride_h = rnd(4) ? p.stride_w : span(1, 3); /* sometimes other rows: the general plane loop */
        p.dil_w = 1;
        p.dil_h = rnd(4) ? 1 : 2;
        p.pad_top = span(0, 1);
        p.pad_left = span(0, 1);
        p.out_h = out_dim(p.in_h, p.pad_top, 3, p.dil_h, p.stride_h, span(0, 1));
        p.out_w = out_dim(p.in_w, p.pad_left, 3, 1, p.stride_w, span(0, 1));
    }
    if (plane3) {
        p.in_h = p.in_w = p.out_h = p.out_w = p.k_h = p.k_w = 3;
        p.stride_h = p.stride_w = p.dil_h = p.dil_w = p.pad_top = p.pad_left = 1;
    }
    if (same2 < 2) { /* up to 32 x 32, some whose padded copy exceeds 1,024 bytes */
        if (same2 == 1) p.groups = p.in_c = p.out_c = span(1, 2);
        p.out_h = same2 == 0 ? 3 : span(1, 16);
        p.out_w = same2 == 0 ? 3 : rnd(2) ? 6 : 2 * span(1, 8); /* 6: 12 wide, fm_dw_s2r12 */
        p.in_h = 2 * p.out_h;
        p.in_w = 2 * p.out_w;
        p.stride_h = p.stride_w = 2;
        p.dil_h = 1;
        p.pad_top = p.pad_left = 0;
    }
    if (p.out_h < 1 || p.out_w < 1 || p.out_c * p.out_h * p.out_w > 2048) return 0;
    p.in_offset = span(-127, 128);
    p.w_offset = rnd(2) ? 0 : span(-127, 128);
    fill(x, p.in_c * p.in_h * p.in_w);
    fill(w, p.out_c * (p.in_c / groups) * p.k_h * p.k_w);
    requant(&rq, p.out_c);
    if (dw_kind == 1 && rnd(8)) { /* mostly no clamp: the inline rules */
        rq.act_min = -128;
        rq.act_max = 127;
    }
    n = p.out_c * p.out_h * p.out_w;
    if (pooled) {
        pool.channels = p.out_c;
        pool.in_h = p.out_h;
        pool.in_w = p.out_w;
        pool.k_h = span(1, 2);
        pool.k_w = span(1, 3);
        pool.stride_h = span(1, 2);
        pool.stride_w = span(1, 2);
        pool.dil_h = 1;
        pool.dil_w = span(1, 2);
        pool.pad_top = span(0, pool.k_h - 1);
        pool.pad_left = span(0, pool.k_w - 1);
        if (rnd(2)) { /* the 1 x 2 pool the SMLAD path fuses */
            pool.k_h = 1;
            pool.k_w = 2;
            pool.stride_h = 1;
            pool.stride_w = 2;
            pool.dil_w = 1;
            pool.pad_top = 0;
            pool.pad_left = 0;
        }
        pool.out_h = out_dim(pool.in_h, pool.pad_top, pool.k_h, pool.dil_h, pool.stride_h, 0);
        pool.out_w = out_dim(pool.in_w, pool.pad_left, pool.k_w, pool.dil_w, pool.stride_w, 0);
        if (pool.out_h < 1 || pool.out_w < 1) return 0;
        n = p.out_c * pool.out_h * pool.out_w;
        rd = fm_conv_maxpool_s8(&p, &pool, &rq, x, w, bias, s_dsp, y_dsp);
        rr = ref_fm_conv_maxpool_s8(&p, &pool, &rq, x, w, bias, s_ref, y_ref);
    } else if (dw || (!big && rnd(2))) { /* every entry point handles every shape */
        rd = fm_conv_dw_s8(&p, &rq, x, w, bias, s_dsp, y_dsp);
        rr = ref_fm_conv_dw_s8(&p, &rq, x, w, bias, s_ref, y_ref);
    } else if (big || rnd(2)) {
        rd = rows3 ? fm_conv_rows_s8(&p, &rq, x, w, bias, s_dsp, y_dsp)
                   : fm_conv_mm_s8(&p, &rq, x, w, bias, s_dsp, y_dsp);
        rr = rows3 ? ref_fm_conv_rows_s8(&p, &rq, x, w, bias, s_ref, y_ref)
                   : ref_fm_conv_mm_s8(&p, &rq, x, w, bias, s_ref, y_ref);
    } else {
        rd = fm_conv_s8(&p, &rq, x, w, bias, s_dsp, y_dsp);
        rr = ref_fm_conv_s8(&p, &rq, x, w, bias, s_ref, y_ref);
    }
    if (rd != rr) return 9;
    for (i = 0; i < n; ++i) {
        if (y_dsp[i] != y_ref[i]) return pooled ? 2 : 1;
    }
    return big || dw ? 0 : pair_case(&p, pooled ? &pool : 0, &rq, bias, n);
}

/* Fully connected, through fm_fc_s8 or (a third of the cases each) the small-layer entries, mostly on their
 * shapes and constants: two outputs (fm_fc_pair_s8) or eight inputs (fm_fc_in8_s8); their fallbacks on the rest. */
static int fc_case(void) {
    fm_fc_params_t p;
    fm_requant_t rq;
    const int32_t *bias = rnd(4) ? b : 0;
    const uint32_t entry = rnd(3);
    int32_t i, n, rd, rr;
    p.rows = span(1, 3);
    p.in_features = entry == 2 && rnd(8) ? 8 : rnd(4) ? span(1, 70) : span(500, 700); /* several FM_DSP_CHUNK passes */
    p.out_features = entry == 1 && rnd(8) ? 2 : rnd(4) ? span(1, 20) : span(60, 64);
    p.in_offset = span(-127, 128);
    p.w_offset = rnd(2) ? 0 : span(-127, 128);
    fill(x, p.rows * p.in_features);
    fill(w, p.out_features * p.in_features);
    requant(&rq, p.out_features);
    if (entry != 0 && rnd(4)) { /* mostly the constants of their inline paths: per tensor, no clamp */
        rq.per_channel = 0;
        rq.act_min = -128;
        rq.act_max = 127;
    }
    if (entry != 0 && rnd(2)) { /* small values, biases and shifts: every output's rounding shows */
        for (i = 0; i < p.rows * p.in_features; ++i) x[i] = (int8_t)span(-4, 4);
        for (i = 0; i < p.out_features * p.in_features; ++i) w[i] = (int8_t)span(-4, 4);
        for (i = 0; i < p.out_features; ++i) b[i] = span(-64, 64);
        p.in_offset = span(-2, 2);
        shift[0] = (int8_t)span(-5, -1);
    } else if (entry != 0 && !FM_CHECK_ORT_INT && rnd(2)) { /* sums near an int32 limit, the zero point and
                                                              * rounding pushing past it (the mode's multipliers) */
        const int32_t top = (int32_t)rnd(2);
        const int32_t m = span(0x70000000, 0x7FFFFFFF);
        for (i = 0; i < p.out_features; ++i) {
            b[i] = top ? 0x7FFFFFFF - (int32_t)rnd(4000000) : (-0x7FFFFFFF - 1) + (int32_t)rnd(4000000);
        }
        rq.out_zp = top ? span(96, 127) : span(-128, -96);
        mult[0] = FM_CHECK_TFLM ? -m : m;
        shift[0] = (int8_t)span(-22, -19);
    }
    if (entry == 1) {
        rd = fm_fc_pair_s8(&p, &rq, x, w, bias, s_dsp, y_dsp);
        rr = ref_fm_fc_pair_s8(&p, &rq, x, w, bias, s_ref, y_ref);
    } else if (entry == 2) {
        rd = fm_fc_in8_s8(&p, &rq, x, w, bias, s_dsp, y_dsp);
        rr = ref_fm_fc_in8_s8(&p, &rq, x, w, bias, s_ref, y_ref);
    } else {
        rd = fm_fc_s8(&p, &rq, x, w, bias, s_dsp, y_dsp);
        rr = ref_fm_fc_s8(&p, &rq, x, w, bias, s_ref, y_ref);
    }
    if (rd != rr) return 9;
    n = p.rows * p.out_features;
    for (i = 0; i < n; ++i) {
        if (y_dsp[i] != y_ref[i]) return 3;
    }
    return 0;
}

/* Add (fixedpoint constants; the compiler has no Add in ort-int): residual (same sizes) or broadcast,
 * the usual input shifts and output shifts (the DSP set's 32-bit steps) and others (its fallback). */
static int add_case(void) {
    fm_add_params_t p;
    fm_add_requant_t rq;
    int32_t i;
    p.size = span(1, 2048);
    p.a_size = rnd(4) ? p.size : 1;
    p.b_size = rnd(4) ? p.size : (p.size % 4 == 0 ? p.size / 4 : 1);
    for (i = 0; i < 3; ++i) {
        mult[i] = rnd(16) ? multiplier() : 0;
        if (i < 2 && rnd(2)) { /* small input multipliers: sums small enough for the inputs' rounding to show */
            mult[i] = FM_CHECK_TFLM ? -span(0, 8192) : span(0, 8192);
        }
        /* output shifts down to -1 half the time: the inputs' rounding shows in the result */
        shift[i] = (int8_t)(i < 2 ? (rnd(8) ? span(-8, 0) : span(-31, 12))
                                  : (rnd(8) ? (rnd(2) ? span(-4, -1) : span(-23, -2)) : span(-31, 12)));
    }
    rq.mult = mult;
    rq.shift = shift;
    rq.scale = 0;
    rq.a_zp = span(-128, 127);
    rq.b_zp = span(-128, 127);
    rq.out_zp = span(-128, 127);
    rq.raw_offset = 0;
    rq.act_min = rnd(2) ? -128 : span(-128, 0);
    rq.act_max = rnd(2) ? 127 : span(rq.act_min, 127);
    fill(x, p.a_size);
    fill(w, p.b_size);
    if (fm_add_s8(&p, &rq, x, w, s_dsp, y_dsp) != ref_fm_add_s8(&p, &rq, x, w, s_ref, y_ref)) return 9;
    for (i = 0; i < p.size; ++i) {
        if (y_dsp[i] != y_ref[i]) return 4;
    }
    return 0;
}

/* Average pooling, integer (fm_avgpool_s8) and TFLite's (fm_avgpool_div_s8): padded, strided, dilated along
 * h, and global windows; a few dilated along w (the DSP set's portable fallback). */
static int pool_case(void) {
    fm_avgpool_params_t ap;
    fm_avgpool_div_params_t dp;
    fm_pool_params_t *p = &ap.pool;
    fm_requant_t rq;
    int32_t i, n, rd, rr;
    p->channels = span(1, 8);
    p->in_h = span(1, 12);
    p->in_w = span(1, 40);
    p->k_h = span(1, 4);
    p->k_w = span(1, 6);
    p->stride_h = span(1, 3);
    p->stride_w = span(1, 3);
    p->dil_h = span(1, 2);
    p->dil_w = rnd(8) ? 1 : 2;
    p->pad_top = span(0, p->k_h - 1);
    p->pad_left = span(0, p->k_w - 1);
    if (rnd(3) == 0) { /* global */
        p->k_h = p->in_h;
        p->k_w = p->in_w;
        p->stride_h = p->stride_w = p->dil_h = p->dil_w = 1;
        p->pad_top = p->pad_left = 0;
    }
    p->out_h = out_dim(p->in_h, p->pad_top, p->k_h, p->dil_h, p->stride_h, span(0, p->k_h - 1));
    p->out_w = out_dim(p->in_w, p->pad_left, p->k_w, p->dil_w, p->stride_w, span(0, p->k_w - 1));
    n = p->channels * p->out_h * p->out_w;
    if (p->out_h < 1 || p->out_w < 1 || n > 2048 || p->k_h * p->k_w > 64) return 0;
    ap.in_offset = span(-127, 128);
    ap.count_include_pad = (int32_t)rnd(2);
    fill(x, p->channels * p->in_h * p->in_w);
    requant(&rq, p->k_h * p->k_w);
    rd = fm_avgpool_s8(&ap, &rq, x, y_dsp);
    rr = ref_fm_avgpool_s8(&ap, &rq, x, y_ref);
    if (rd != rr) return 9;
    for (i = 0; i < n; ++i) {
        if (y_dsp[i] != y_ref[i]) return 7;
    }
    dp.pool = *p;
    dp.act_min = rq.act_min;
    dp.act_max = rq.act_max;
    if (fm_avgpool_div_s8(&dp, x, y_dsp) != ref_fm_avgpool_div_s8(&dp, x, y_ref)) return 9;
    for (i = 0; i < n; ++i) {
        if (y_dsp[i] != y_ref[i]) return 8;
    }
    return 0;
}

int main(void) {
    int i, rc;
    for (i = 0; i < CASES; ++i) {
        if (!FM_CHECK_ORT_INT && i % 10 == 9) {
            rc = add_case();
            if (rc) return rc;
        }
        if (i % 10 == 4) {
            rc = pool_case();
            if (rc) return rc;
        }
        switch (i % 5) {
        case 0: rc = conv_case(0, 0, 0); break;
        case 1: rc = conv_case(1, 0, 0); break;
        case 2: rc = conv_case(0, 1, 0); break;
        case 3: rc = conv_case(0, 0, 1); break;
        default: rc = fc_case(); break;
        }
        if (rc) return rc;
    }
    return 0;
}
