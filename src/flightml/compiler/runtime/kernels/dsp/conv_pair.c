/* flightml DSP kernels: the fast path for Conv1d-style layers with 3 taps, stride 1 and no dilation
 * along w (the 'same' convolutions of the SpectrumNet family), plain or fused with a 2-wide max pool.
 * Hand-written, C99 + ACLE. Same results as kernels/portable/conv.c.
 *
 * Two neighbouring output positions a = ow and b = ow + 1 (a window) read the four inputs
 * x[s .. s + 3], s = ow - pad_left, of every input row: one word, widened in registers into
 * lo = (x0, x2) and hi = (x1, x3) by SXTB16 (and its ROR #8 form). With each channel's row of weights
 * widened into W02 = (w0, w2) and its w1 (the two channels' w1 share one word):
 *   a = x0 w0 + x1 w1 + x2 w2 = SMLAD(lo, W02) + SMLABB(hi, w1)
 *   b = x1 w0 + x2 w1 + x3 w2 = SMLAD(hi, W02) + SMLATB(lo, w1)
 * so 4 multiply instructions give 6 MACs, and each weight word serves both positions. The loop runs
 * over output rows, then pairs of output channels, then windows: the pair's weights are widened once
 * per output row into the scratch (with the weight offset), the input words are read from the int8
 * input itself (no widened copy: that is what kept 1 KB of scratch), and only windows that reach into
 * the padding (along w, or every window of an output row whose rows leave the input along h, or whose
 * patch rows are not one stride apart) have their words gathered, zero point included, into the
 * scratch first, once per output row. The input offset is not added per value:
 * sum (x + x_off) w' = sum x w' + x_off sum w', and the second term (per channel, summed while widening
 * the weights) starts the accumulators; a position in the padding is read as the zero point
 * (x = -x_off), whose terms cancel. The accumulators wrap modulo 2^32 (SMLAD), so the final sum, which
 * fits int32, is exact. Each window's four accumulators (two positions x two channels) are requantized
 * and stored straight from registers. The very last row of the weight tensor is read byte by byte so
 * nothing past it is read. Plain convolutions with an odd output width compute their last window at
 * out_w - 2 (one position twice, same value).
 *
 * RAM: the per-layer state lives in the scratch (fm_pair_step_t, read by the assembly at fixed offsets),
 * set-up and rare paths are out of line one call below the layer's loop, so the deepest call chain is
 * short (the stack counts in every layer, the scratch in its own only).
 *
 * Requantization: channels the int8 rule of fm_dsp.h applies to (fixedpoint constants, the usual
 * shifts, full int8 clamp) with a bias far enough from the int32 limits that bias + sum cannot
 * saturate start their accumulators at the bias (equal to the saturating addition after the sum in
 * that range) and take SMMLA, shift and SSAT per output; a pooled pair takes max(a, b) first (the
 * rule is non-decreasing: max(rq(a), rq(b)) == rq(max(a, b))). Any other channel (ort-int, ort-exact,
 * other clamps or shifts) takes the general path: the bias
 * added with saturation, the mode's fm_requant per position, then the max. */
#include <stddef.h>

#include "fm_dsp_conv.h"

#define FM_PAIR_ROWS 16 /* input rows (in_c / groups x k_h) per patch on this path */
#define FM_PAIR_SEGS 4  /* runs of windows per output row (fm_pair_row) */

/* The shapes of this path (inline in the entry points: no call, so they need no frame of their own). */
static inline int fm_pair_shape(const fm_conv_params_t *p) {
    if (p->groups < 1 || p->in_c % p->groups != 0 || p->out_c % p->groups != 0) return 0;
    if (p->stride_h < 1 || p->dil_h < 1) return 0;
    return p->k_w == 3 && p->stride_w == 1 && p->dil_w == 1 && p->out_w >= 2 &&
           (p->in_c / p->groups) * p->k_h <= FM_PAIR_ROWS;
}

static inline int fm_pair_pool_shape(const fm_conv_params_t *p, const fm_pool_params_t *pool) {
    return fm_pair_shape(p) && pool->k_h == 1 && pool->k_w == 2 && pool->stride_h == 1 && pool->stride_w == 2 &&
           pool->dil_w == 1 && pool->pad_top == 0 && pool->pad_left == 0 && pool->in_h == p->out_h &&
           pool->in_w == p->out_w && pool->out_h == p->out_h && pool->out_w == p->out_w / 2;
}

int fm_dsp_pair_ok(const fm_conv_params_t *p) { return fm_pair_shape(p); }

int fm_dsp_pool_pair_ok(const fm_conv_params_t *p, const fm_pool_params_t *pool) { return fm_pair_pool_shape(p, pool); }

/* What the assembly loops of fm_pair_fast read at fixed offsets (noted), kept in the scratch: the pair's
 * accumulator starts and int8-rule constants, the widened weights, the row count's parity, the words'
 * advance after a window, the output pointers. */
typedef struct {
    int32_t init0, init1;   /* 0, 4: x_off * (sum of weights + w_off), plus the bias on the inline rule */
    int32_t mult0, add0;    /* 8, 12 */
    int32_t mult1, add1;    /* 16, 20 */
    int32_t shift0, shift1; /* 24, 28 */
    const int16x2_t *wq;    /* 32 */
    int32_t odd;            /* 36: the row count is odd */
    int32_t delta;          /* 40: next window's x - this window's x after its rows */
    int8_t *o;              /* 44: this window's output in channel c0 */
    int32_t oplane;         /* 48: channel c1's output - channel c0's */
    int8_t *oend;           /* 52: past the run's last output in channel c0 */
    int32_t rows;           /* patch rows */
    int32_t pooled;         /* set by the entry point */
    const fm_conv_params_t *p;
    const fm_requant_t *rq;
    const int8_t *input, *weights;
    const int32_t *bias;
    int32_t xstep;          /* bytes between patch rows read directly (k_h == 1 or one channel per group) */
} fm_pair_step_t;

/* A run of windows that read their words alike: n windows, the first one's words at x, each next
 * window's xadv further; the first output at `at` in the output row. Read directly (xadv 2): patch rows
 * t->xstep apart; gathered (xadv 4 x rows): 4 bytes apart. */
typedef struct {
    const int8_t *x;
    int32_t xadv, n, at;
} fm_pair_seg_t;

/* The sizes ops/conv.py declares (PAIR_STEP, PAIR_SEG) and the offsets fm_pair_fast's assembly reads:
 * a mismatch fails to compile (C99 has no static_assert). */
typedef char fm_pair_layout_check[sizeof(fm_pair_step_t) == 88 && sizeof(fm_pair_seg_t) == 16 &&
                                          offsetof(fm_pair_step_t, wq) == 32 && offsetof(fm_pair_step_t, odd) == 36 &&
                                          offsetof(fm_pair_step_t, oend) == 52
                                      ? 1
                                      : -1];

/* Bytes between the patch rows of run s. */
static inline int32_t fm_pair_st(const fm_pair_step_t *t, const fm_pair_seg_t *s) {
    return s->xadv == 2 ? t->xstep : 4;
}

/* The int8-rule constants of channel c (ma: mult, add); 1 when the rule applies and bias + sum cannot
 * saturate (|sum of products| <= maxsum). */
static int fm_pair_rq(const fm_requant_t *rq, const int32_t *bias, int32_t c, int32_t maxsum, int32_t *ma,
                      int32_t *shift) {
    fm_dsp_rq8_t r;
    const int32_t b = bias != 0 ? bias[c] : 0;
    if (!fm_dsp_rq8_load(rq, c, &r) || b > INT32_MAX - maxsum || b < INT32_MIN + maxsum) return 0;
    ma[0] = r.mult;
    ma[1] = r.add;
    *shift = r.rshift;
    return 1;
}

/* Start ow of window j (a plain convolution with an odd output width ends at out_w - 2). */
static inline int32_t fm_pair_ow(int32_t j, int32_t out_w, int pooled) {
    return pooled || 2 * j <= out_w - 2 ? 2 * j : out_w - 2;
}

/* x[s .. s + 3] of one input row, the zero point standing in for positions outside [0, in_w). */
static inline __attribute__((always_inline)) uint32_t fm_pair_xword(const int8_t *row, int32_t s, int32_t in_w,
                                                                     int8_t pad) {
    uint32_t v = 0;
    int32_t i;
    if (s >= 0 && s <= in_w - 4) return fm_dsp_ld4(row + s);
    for (i = 0; i < 4; ++i) v |= (uint32_t)(uint8_t)((s + i >= 0 && s + i < in_w) ? row[s + i] : pad) << (8 * i);
    return v;
}

/* The words x[s .. s + 3] of every patch row of one window (input: the group's first channel; ih0: the
 * window's first input row) into xg, the zero point outside the input; returns xg past them. */
static inline __attribute__((always_inline)) uint32_t *fm_pair_gather(const fm_conv_params_t *p,
                                                                      const int8_t *input, int32_t ih0, int32_t s,
                                                                      uint32_t *xg) {
    const int8_t pad = (int8_t)(-p->in_offset);
    int32_t ic, kh;
    for (ic = 0; ic < p->in_c / p->groups; ++ic) {
        for (kh = 0; kh < p->k_h; ++kh) {
            const int32_t ih = ih0 + kh * p->dil_h;
            *xg++ = ih >= 0 && ih < p->in_h ? fm_pair_xword(input + (ic * p->in_h + ih) * p->in_w, s, p->in_w, pad)
                                            : 0x01010101u * (uint8_t)pad;
        }
    }
    return xg;
}

/* Sets up output row r (of all groups' rows: group r / out_h, row r % out_h; ih0 its first input row)
 * and returns its number of runs (in seg after the widened weights, at most FM_PAIR_SEGS): the windows
 * [jl, jr) whose words are all inside the input and one stride apart (k_h == 1 or one channel per
 * group) are read directly; the words x[s .. s + 3] of every patch row of the others go to xg (after
 * seg), window after window: the runs before and after [jl, jr). The last window of a plain convolution
 * with an odd output width (at out_w - 2) is a run of its own. */
static __attribute__((noinline, optimize("Os"))) int32_t fm_pair_row(const fm_pair_step_t *t, int32_t r) {
    const fm_conv_params_t *p = t->p;
    const int pooled = t->pooled;
    const int32_t ih0 = r % p->out_h * p->stride_h - p->pad_top;
    const int8_t *input = t->input + r / p->out_h * (p->in_c / p->groups) * p->in_h * p->in_w;
    fm_pair_seg_t *seg = (fm_pair_seg_t *)(t->wq + 3 * t->rows);
    uint32_t *xg = (uint32_t *)(seg + FM_PAIR_SEGS);
    const int32_t cin_g = p->in_c / p->groups, k_h = p->k_h, in_w = p->in_w, pad_left = p->pad_left;
    const int32_t rows = cin_g * k_h, out_w = p->out_w;
    const int32_t wpr = pooled ? out_w / 2 : (out_w + 1) / 2, last = wpr - 1;
    const int clip = fm_pair_ow(last, out_w, pooled) != 2 * last;
    const uint32_t *x0 = xg;
    int32_t j, jl = 0, jr = 0, n = 0;
    if (ih0 >= 0 && ih0 + (k_h - 1) * p->dil_h < p->in_h && (k_h == 1 || cin_g == 1)) {
        jl = (pad_left + 1) / 2 < wpr ? (pad_left + 1) / 2 : wpr; /* the closed forms for ow = 2 j, then exact */
        while (jl < wpr && fm_pair_ow(jl, out_w, pooled) < pad_left) ++jl;
        jr = in_w - 4 + pad_left >= 0 ? (in_w - 4 + pad_left) / 2 + 1 : 0;
        jr = jr < jl ? jl : jr > wpr ? wpr : jr;
        while (jr > jl && fm_pair_ow(jr - 1, out_w, pooled) - pad_left > in_w - 4) --jr;
    }
    for (j = 0; j < wpr; ++j) {
        if (j < jl || j >= jr) xg = fm_pair_gather(p, input, ih0, fm_pair_ow(j, out_w, pooled) - pad_left, xg);
    }
    for (j = 0; j < wpr; j += seg[n++].n) {
        const int32_t ow = fm_pair_ow(j, out_w, pooled);
        int32_t end;
        if (j >= jl && j < jr) {
            seg[n].x = input + ih0 * in_w + (ow - pad_left);
            seg[n].xadv = 2;
            end = jr;
        } else {
            seg[n].x = (const int8_t *)(x0 + (j < jl ? j : j - (jr - jl)) * rows);
            seg[n].xadv = 4 * rows;
            end = j < jl ? jl : wpr;
        }
        if (clip && end > last) end = j < last ? last : wpr;
        seg[n].n = end - j;
        seg[n].at = pooled ? j : ow;
    }
    return n;
}

/* The 3 weights at w as a word, read byte by byte (the last row of the weight tensor). */
static uint32_t fm_pair_wlast(const int8_t *w) {
    return (uint32_t)(uint8_t)w[0] | ((uint32_t)(uint8_t)w[1] << 8) | ((uint32_t)(uint8_t)w[2] << 16);
}

/* Widened weights of channels c0 and c1 (rows w0, w1) into t->wq, per patch row: W02 of c0, W1 = (w1
 * of c0, w1 of c1), W02 of c1; the last row of the weight tensor is read byte by byte when `last_safe`.
 * t->init0, t->init1 = x_off * (sum of the channel's weights + w_off). */
static __attribute__((noinline)) void fm_pair_weights(const int8_t *w0, const int8_t *w1, int32_t rows, int16x2_t wo,
                                                      int16x2_t xo, int last_safe, fm_pair_step_t *t) {
    int16x2_t *wq = (int16x2_t *)t->wq;
    int32_t r, s0 = 0, s1 = 0;
    for (r = 0; r < rows; ++r, w0 += 3, w1 += 3, wq += 3) {
        const int safe = last_safe && r == rows - 1;
        const uint32_t v0 = safe ? fm_pair_wlast(w0) : fm_dsp_ld4(w0);
        const uint32_t v1 = safe ? fm_pair_wlast(w1) : fm_dsp_ld4(w1);
        const int16x2_t h0 = fm_dsp_hi(wo, v0), h1 = fm_dsp_hi(wo, v1);
        wq[0] = __sxtab16(wo, (int8x4_t)v0);
        wq[1] = (int16x2_t)(((uint32_t)h0 & 0xFFFFu) | ((uint32_t)h1 << 16)); /* PKHBT */
        wq[2] = __sxtab16(wo, (int8x4_t)v1);
        s0 = __smlabb(h0, xo, __smlad(wq[0], xo, s0));
        s1 = __smlabb(h1, xo, __smlad(wq[2], xo, s1));
    }
    t->init0 = s0;
    t->init1 = s1;
}

/* One patch row of a window: its word x[s .. s + 3] (loaded by `ld`) widened into lo = (x0, x2) and
 * hi = (x1, x3), against the next 3 widened weight words at w: W02 and W1 (its low lane) of c0, then
 * W02 of c1 and W1's high lane. */
#define FM_PAIR_ROW(ld)                    \
    ld "\n\t"                              \
    "sxtb16 %[hi], %[lo], ror #8\n\t"      \
    "sxtb16 %[lo], %[lo]\n\t"              \
    "ldrd %[p], %[q], [%[w]], #8\n\t"      \
    "smlad %[a0], %[lo], %[p], %[a0]\n\t"  \
    "smlabb %[a0], %[hi], %[q], %[a0]\n\t" \
    "smlad %[b0], %[hi], %[p], %[b0]\n\t"  \
    "smlatb %[b0], %[lo], %[q], %[b0]\n\t" \
    "ldr %[p], [%[w]], #4\n\t"             \
    "smlad %[a1], %[lo], %[p], %[a1]\n\t"  \
    "smlabt %[a1], %[hi], %[q], %[a1]\n\t" \
    "smlad %[b1], %[hi], %[p], %[b1]\n\t"  \
    "smlatt %[b1], %[lo], %[q], %[b1]\n\t"

/* The patch rows of one window, two per iteration from the words at x and x + st (x advances 2 st),
 * entered at the second when p (the row count's parity) is set, x then one stride early; w runs over the
 * widened weights to wend. */
#define FM_PAIR_ROWS_LOOP                                                                            \
    "cbnz %[p], 2f\n"                                                                                \
    "1:\n\t" FM_PAIR_ROW("ldr %[lo], [%[x]]") "2:\n\t" FM_PAIR_ROW("ldr %[lo], [%[x], %[st]]") \
    "add %[x], %[x], %[st], lsl #1\n\t"                                                              \
    "cmp %[w], %[wend]\n\t"                                                                          \
    "bne 1b\n\t"

/* The four accumulators {a.c0, b.c0, a.c1, b.c1} of one window (general rule), on top of their values:
 * written out in assembly because gcc 12 adds pointer copies and spills around its own loop. */
static inline __attribute__((always_inline)) void fm_pair_mac(const int8_t *x, int32_t st, const int16x2_t *wq,
                                                              const int16x2_t *wend, int32_t odd, int32_t acc[4]) {
    int32_t ra0 = acc[0], rb0 = acc[1], ra1 = acc[2], rb1 = acc[3];
    int32_t lo, hi, p = odd, q;
    const int16x2_t *w = wq;
    __asm__(FM_PAIR_ROWS_LOOP
            : [a0] "+r"(ra0), [b0] "+r"(rb0), [a1] "+r"(ra1), [b1] "+r"(rb1), [x] "+r"(x), [w] "+r"(w),
              [lo] "=&r"(lo), [hi] "=&r"(hi), [p] "+l"(p), [q] "=&r"(q)
            : [st] "r"(st), [wend] "r"(wend)
            : "cc", "memory");
    acc[0] = ra0;
    acc[1] = rb0;
    acc[2] = ra1;
    acc[3] = rb1;
}

/* The int8 rule of one accumulator: SMMLA, shift, SSAT (fm_dsp_rq8) with constants at Q + m, Q + r. */
#define FM_PAIR_RQ(acc, m, r)                \
    "ldrd %[p], %[q], [%[Q], #" m "]\n\t"    \
    "smmla " acc ", " acc ", %[p], %[q]\n\t" \
    "ldr %[p], [%[Q], #" r "]\n\t"           \
    "asr " acc ", " acc ", %[p]\n\t"         \
    "ssat " acc ", #8, " acc "\n\t"

/* The same for both positions of channel c (constants loaded once). */
#define FM_PAIR_RQ2(acc_a, acc_b, m, r)          \
    "ldrd %[p], %[q], [%[Q], #" m "]\n\t"        \
    "smmla " acc_a ", " acc_a ", %[p], %[q]\n\t" \
    "smmla " acc_b ", " acc_b ", %[p], %[q]\n\t" \
    "ldr %[p], [%[Q], #" r "]\n\t"               \
    "asr " acc_a ", " acc_a ", %[p]\n\t"         \
    "asr " acc_b ", " acc_b ", %[p]\n\t"         \
    "ssat " acc_a ", #8, " acc_a "\n\t"          \
    "ssat " acc_b ", #8, " acc_b "\n\t"

/* The first part of each window: accumulators at their starts, the rows, x moved to the next window. */
#define FM_PAIR_WINDOW                 \
    "3:\n\t"                           \
    "ldrd %[a0], %[a1], [%[Q]]\n\t"    \
    "mov %[b0], %[a0]\n\t"             \
    "mov %[b1], %[a1]\n\t"             \
    "ldrd %[w], %[p], [%[Q], #32]\n\t" \
    FM_PAIR_ROWS_LOOP                  \
    "ldr %[p], [%[Q], #40]\n\t"        \
    "add %[x], %[x], %[p]\n\t"

/* A run of windows with the inline rule (constants in t), outputs requantized and stored straight from
 * registers (pooled: the max of each channel's two positions first). */
static inline __attribute__((always_inline)) void fm_pair_fast(const int8_t *x, int32_t st, const int16x2_t *wend,
                                                               fm_pair_step_t *t, int pooled) {
    int32_t a0, b0, a1, b1, lo, hi, p, q;
    const int16x2_t *w;
    if (pooled) { /* volatile: the stores are the only effect */
        __asm__ volatile(FM_PAIR_WINDOW
                         "cmp %[a0], %[b0]\n\t"
                         "it lt\n\t"
                         "movlt %[a0], %[b0]\n\t" FM_PAIR_RQ("%[a0]", "8", "24")
                         "cmp %[a1], %[b1]\n\t"
                         "it lt\n\t"
                         "movlt %[a1], %[b1]\n\t" FM_PAIR_RQ("%[a1]", "16", "28")
                         "ldrd %[p], %[q], [%[Q], #44]\n\t"
                         "strb %[a0], [%[p]]\n\t"
                         "strb %[a1], [%[p], %[q]]\n\t"
                         "adds %[p], #1\n\t"
                         "str %[p], [%[Q], #44]\n\t"
                         "ldr %[q], [%[Q], #52]\n\t"
                         "cmp %[p], %[q]\n\t"
                         "bne 3b"
                         : [a0] "=&r"(a0), [b0] "=&r"(b0), [a1] "=&r"(a1), [b1] "=&r"(b1), [x] "+r"(x), [w] "=&r"(w),
                           [lo] "=&r"(lo), [hi] "=&r"(hi), [p] "=&l"(p), [q] "=&r"(q)
                         : [st] "r"(st), [wend] "r"(wend), [Q] "r"(t)
                         : "cc", "memory");
    } else {
        __asm__ volatile(FM_PAIR_WINDOW FM_PAIR_RQ2("%[a0]", "%[b0]", "8", "24")
                             FM_PAIR_RQ2("%[a1]", "%[b1]", "16", "28")
                         "ldrd %[p], %[q], [%[Q], #44]\n\t"
                         "strb %[a0], [%[p]]\n\t"
                         "strb %[b0], [%[p], #1]\n\t"
                         "add %[q], %[q], %[p]\n\t"
                         "strb %[a1], [%[q]]\n\t"
                         "strb %[b1], [%[q], #1]\n\t"
                         "adds %[p], #2\n\t"
                         "str %[p], [%[Q], #44]\n\t"
                         "ldr %[q], [%[Q], #52]\n\t"
                         "cmp %[p], %[q]\n\t"
                         "bne 3b"
                         : [a0] "=&r"(a0), [b0] "=&r"(b0), [a1] "=&r"(a1), [b1] "=&r"(b1), [x] "+r"(x), [w] "=&r"(w),
                           [lo] "=&r"(lo), [hi] "=&r"(hi), [p] "=&l"(p), [q] "=&r"(q)
                         : [st] "r"(st), [wend] "r"(wend), [Q] "r"(t)
                         : "cc", "memory");
    }
}
#undef FM_PAIR_WINDOW
#undef FM_PAIR_RQ2

/* The runs seg[0 .. nseg) of the output row (o0: its first output in channel c0) with the inline rule. */
static __attribute__((noinline)) void fm_pair_runs(fm_pair_step_t *t, const fm_pair_seg_t *seg, int32_t nseg,
                                                   int pooled, int8_t *o0) {
    for (; nseg > 0; --nseg, ++seg) {
        const int32_t st = fm_pair_st(t, seg);
        t->delta = seg->xadv - st * (t->rows + t->odd);
        t->o = o0 + seg->at;
        t->oend = t->o + (pooled ? seg->n : 2 * seg->n);
        fm_pair_fast((const int8_t *)((uintptr_t)seg->x - (uint32_t)(t->odd * st)), st,
                     t->wq + 3 * t->rows, t, pooled);
    }
}
#undef FM_PAIR_RQ
#undef FM_PAIR_ROWS_LOOP
#undef FM_PAIR_ROW

/* Every window of the output row (runs seg[0 .. nseg)) for channels c0, c1 (outputs o0, o0 + t->oplane)
 * by the general rule: the sums from t->init0, t->init1, the bias added with saturation, then the mode's
 * fm_requant (ort-int, other clamps or shifts, biases near the int32 limits: rare, kept out of line). */
static __attribute__((noinline, optimize("Os"))) void fm_pair_general(const fm_pair_step_t *t, const fm_pair_seg_t *seg,
                                                                        int32_t nseg, int32_t c0, int32_t c1,
                                                                        int8_t *o0) {
    const fm_requant_t *rq = t->rq;
    const int32_t *bias = t->bias;
    const int pooled = t->pooled;
    const int32_t bias0 = bias != 0 ? bias[c0] : 0, bias1 = bias != 0 ? bias[c1] : 0;
    int8_t *o1 = o0 + t->oplane;
    int32_t i, acc[4];
    for (; nseg > 0; --nseg, ++seg) {
        for (i = 0; i < seg->n; ++i) {
            const int32_t at = seg->at + (pooled ? i : 2 * i);
            acc[0] = acc[1] = t->init0;
            acc[2] = acc[3] = t->init1;
            fm_pair_mac((const int8_t *)((uintptr_t)(seg->x + i * seg->xadv) - (uint32_t)(t->odd * fm_pair_st(t, seg))),
                        fm_pair_st(t, seg),
                        t->wq, t->wq + 3 * t->rows, t->odd, acc);
            acc[0] = fm_requant(__qadd(acc[0], bias0), rq, c0);
            acc[1] = fm_requant(__qadd(acc[1], bias0), rq, c0);
            acc[2] = fm_requant(__qadd(acc[2], bias1), rq, c1);
            acc[3] = fm_requant(__qadd(acc[3], bias1), rq, c1);
            if (pooled) {
                o0[at] = (int8_t)(acc[0] > acc[1] ? acc[0] : acc[1]);
                o1[at] = (int8_t)(acc[2] > acc[3] ? acc[2] : acc[3]);
            } else {
                o0[at] = (int8_t)acc[0];
                o0[at + 1] = (int8_t)acc[1];
                o1[at] = (int8_t)acc[2];
                o1[at + 1] = (int8_t)acc[3];
            }
        }
    }
}

/* Channels c0, c1: their weights widened into t->wq, the accumulator starts and constants into t;
 * 1 when both take the inline rule (the bias then in the starts). */
static __attribute__((noinline)) int fm_pair_prepare(fm_pair_step_t *t, int32_t c0, int32_t c1) {
    const fm_conv_params_t *p = t->p;
    const int32_t rows = t->rows, maxsum = 3 * rows * 65025; /* |x + x_off|, |w + w_off| <= 255 */
    fm_pair_weights(t->weights + c0 * rows * 3, t->weights + c1 * rows * 3, rows, fm_dsp_pair(p->w_offset),
                    fm_dsp_pair(p->in_offset), c1 == p->out_c - 1, t);
    if (!fm_pair_rq(t->rq, t->bias, c0, maxsum, &t->mult0, &t->shift0) ||
        !fm_pair_rq(t->rq, t->bias, c1, maxsum, &t->mult1, &t->shift1)) {
        return 0;
    }
    if (t->bias != 0) { /* no saturation in this range (fm_pair_rq) */
        t->init0 += t->bias[c0];
        t->init1 += t->bias[c1];
    }
    return 1;
}

/* The convolution (fm_kernels.h contract; t->pooled, set by the entry point: fused with the 1 x 2 max
 * pool; seven arguments, as the entry points, which call it as their last step). Scratch: the step
 * constants t, the widened weights t->wq (3 words per patch row), the runs of an output row
 * (FM_PAIR_SEGS), then the gathered words of the windows not read directly (one word per patch row
 * each); the compiler declares the same size (ops/conv.py: pair_scratch). Output rows outer, so each
 * row's words are gathered once for every channel pair; channel pairs next, the pair's weights widened
 * once per output row. The work is in out-of-line functions called one level down, so the deepest call
 * chain (and the stack) stays short. */
static __attribute__((noinline, optimize("Os"))) fm_status_t fm_pair_conv(const fm_conv_params_t *p,
                                                                          const fm_requant_t *rq,
                                                                          const int8_t *input, const int8_t *weights,
                                                                          const int32_t *bias, void *scratch,
                                                                          int8_t *output) {
    fm_pair_step_t *t = (fm_pair_step_t *)scratch;
    const int32_t dst_w = t->pooled ? p->out_w / 2 : p->out_w;
    int32_t r, c0, c_end;
    t->rows = p->in_c / p->groups * p->k_h;
    t->odd = t->rows & 1;
    t->wq = (const int16x2_t *)(t + 1);
    t->p = p;
    t->rq = rq;
    t->input = input;
    t->weights = weights;
    t->bias = bias;
    t->xstep = p->k_h == 1 ? p->in_h * p->in_w : p->dil_h * p->in_w;
    for (r = 0; r < p->groups * p->out_h; ++r) { /* (group, output row) */
        const int32_t nseg = fm_pair_row(t, r);
        c_end = (r / p->out_h + 1) * (p->out_c / p->groups);
        for (c0 = c_end - p->out_c / p->groups; c0 < c_end; c0 += 2) {
            const int32_t c1 = c0 + 1 < c_end ? c0 + 1 : c0; /* odd count: the last channel twice, same values */
            int8_t *o0 = output + (c0 * p->out_h + r % p->out_h) * dst_w;
            const fm_pair_seg_t *seg = (const fm_pair_seg_t *)(t->wq + 3 * t->rows);
            t->oplane = (c1 - c0) * p->out_h * dst_w;
            if (fm_pair_prepare(t, c0, c1)) {
                fm_pair_runs(t, seg, nseg, t->pooled, o0);
            } else {
                fm_pair_general(t, seg, nseg, c0, c1, o0);
            }
        }
    }
    return FM_OK;
}

/* The pair path's own entry points (fm_kernels.h): only its shapes, so no scalar fallback is linked. */
fm_status_t fm_conv_pair_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                    const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output) {
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) return FM_ERR_NULL;
    if (!fm_pair_shape(p)) return FM_ERR_PARAM;
    ((fm_pair_step_t *)scratch)->pooled = 0;
    return fm_pair_conv(p, rq, input, weights, bias, scratch, output);
}

fm_status_t fm_conv_maxpool_pair_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                            const int8_t *input, const int8_t *weights, const int32_t *bias, void *scratch,
                            int8_t *output) {
    if (p == 0 || pool == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0) {
        return FM_ERR_NULL;
    }
    if (!fm_pair_pool_shape(p, pool)) return FM_ERR_PARAM;
    ((fm_pair_step_t *)scratch)->pooled = 1;
    return fm_pair_conv(p, rq, input, weights, bias, scratch, output);
}
