/* flightml DSP kernels: convolutions whose windows have 3 taps along w (no dilation there) and few rows
 * (input channels per group x k_h <= FM_ROWS_ROWS: VWW's first layer, 3 x 3 x 3), the rows path
 * (fm_conv_rows_s8). Hand-written, C99 + ACLE. Same results as kernels/portable/conv.c.
 *
 * Each window row is one input word widened into the int16 pairs (x0, x2), (x1, x3), whose fourth value
 * meets a zero weight, so a position's patch costs a load, two SXTAB16 and two stores per row instead of
 * a byte gather and its tail. Weights are widened the same way once per block of channels. Two positions'
 * patches are interleaved per row ({A.lo, B.lo, A.hi, B.hi}), and two channels' weights likewise, so a row
 * of the 2 x 2 product is four words and eight SMLADs. Requantization as conv_mm.c (fm_dsp_chq_load). */
#include "fm_dsp_conv.h"

#define FM_ROWS_ROWS 9 /* window rows (in_c / groups x k_h) */
#define FM_ROWS_CH 8   /* output channels per block (even) */
#define FM_ROWS_POS 16 /* positions per block (even) */

/* What the gather needs of one convolution (copied out of the params: the output stores could alias them). */
typedef struct {
    const int8_t *input; /* first input channel of the current group */
    int32_t in_h, in_w, plane, k_h, stride_h, stride_w, dil_h, pad_top, pad_left, in_offset;
} fm_rows_ctx_t;

/* 1 when the rows path takes convolution p (ops/conv.py: rows_shape). */
static int fm_rows_ok(const fm_conv_params_t *p) {
    if (p->groups < 1 || p->in_c % p->groups != 0 || p->out_c % p->groups != 0) return 0;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1) return 0;
    return p->k_w == 3 && p->dil_w == 1 && p->in_c / p->groups * p->k_h <= FM_ROWS_ROWS;
}

/* Two int16 lanes (lo, hi) as one word. */
static inline int32_t fm_rows_pack(int32_t lo, int32_t hi) {
    return (int32_t)((uint32_t)(uint16_t)(int16_t)lo | (uint32_t)(uint16_t)(int16_t)hi << 16);
}

/* Weight rows j < nb (3 * rows values each from w) plus w_offset into tw, channel pairs interleaved per
 * window row ({j.lo, j+1.lo, j.hi, j+1.hi}); an odd last channel is paired with zero weights. */
static void fm_rows_weights(const int8_t *w, int32_t rows, int32_t nb, int32_t w_offset, int32_t *tw) {
    int32_t j, r;
    int32_t *d;
    for (j = 0; j < nb; ++j) {
        d = tw + (j >> 1) * 4 * rows + (j & 1);
        for (r = 0; r < rows; ++r, d += 4, w += 3) {
            d[0] = fm_rows_pack(w[0] + w_offset, w[2] + w_offset);
            d[2] = fm_rows_pack(w[1] + w_offset, 0);
        }
    }
    d = tw + (nb >> 1) * 4 * rows + 1;
    for (r = 0; r < rows && (nb & 1); ++r, d += 4) d[0] = d[2] = 0;
}

/* The columns [*lo, *hi) of output row oh whose windows are inside the input and whose word loads (one
 * byte past each window row) stay inside it: below the input's last row the byte after a row is the next
 * row's first. */
static void fm_rows_inside(const fm_rows_ctx_t *k, int32_t oh, int32_t out_w, int32_t *lo, int32_t *hi) {
    const int32_t ih0 = oh * k->stride_h - k->pad_top, ih_last = ih0 + (k->k_h - 1) * k->dil_h;
    const int32_t sw = k->stride_w, pl = k->pad_left;
    const int32_t iw_max = ih_last + 1 < k->in_h ? k->in_w - 3 : k->in_w - 4; /* the last window start */
    *lo = (pl + sw - 1) / sw;
    *hi = iw_max + pl < 0 ? 0 : (iw_max + pl) / sw + 1;
    if (*hi > out_w) *hi = out_w;
    if (ih0 < 0 || ih_last >= k->in_h || *hi < *lo) *hi = *lo;
}

/* The widened patch of position (oh, ow) (channels [0, cin_g) of the group) at d[4r], d[4r + 2] for
 * window row r, value by value: positions next to the padding. */
static __attribute__((noinline)) void fm_rows_column(const fm_rows_ctx_t *k, int32_t oh, int32_t ow, int32_t cin_g,
                                                     int32_t *d) {
    const int32_t ih0 = oh * k->stride_h - k->pad_top, iw0 = ow * k->stride_w - k->pad_left;
    const int32_t off = k->in_offset, in_w = k->in_w;
    const int in0 = iw0 >= 0 && iw0 < in_w, in1 = iw0 + 1 >= 0 && iw0 + 1 < in_w, in2 = iw0 + 2 >= 0 && iw0 + 2 < in_w;
    int32_t kh_lo, kh_hi, c, kh;
    fm_taps(ih0, k->dil_h, k->in_h, k->k_h, &kh_lo, &kh_hi);
    for (c = 0; c < cin_g; ++c) {
        for (kh = 0; kh < k->k_h; ++kh, d += 4) {
            const int32_t at = c * k->plane + (ih0 + kh * k->dil_h) * in_w + iw0;
            const int row = kh >= kh_lo && kh < kh_hi;
            const int32_t v0 = row && in0 ? k->input[at] + off : 0, v1 = row && in1 ? k->input[at + 1] + off : 0;
            const int32_t v2 = row && in2 ? k->input[at + 2] + off : 0;
            d[0] = fm_rows_pack(v0, v2);
            d[2] = fm_rows_pack(v1, 0);
        }
    }
}

/* d[0..3] = v0..v3 as two STRDs (gcc 12 stores the words one by one). */
static inline void fm_rows_st4(int32_t *d, int32_t v0, int32_t v1, int32_t v2, int32_t v3) {
#if defined(__OPTIMIZE__)
    __asm__("strd %1, %2, [%0]\n\t"
            "strd %3, %4, [%0, #8]"
            :
            : "r"(d), "r"(v0), "r"(v1), "r"(v2), "r"(v3)
            : "memory");
#else
    d[0] = v0;
    d[1] = v1;
    d[2] = v2;
    d[3] = v3;
#endif
}

/* The widened patches of two positions inside the input, A at x (its window's first value) and B at
 * x + sw, interleaved at d; off[r] is the offset of window row r. */
static __attribute__((noinline)) void fm_rows_inside2(const int8_t *x, int32_t sw, const int32_t *off, int32_t rows,
                                                      int32_t in_offset, int32_t *d) {
    const int16x2_t xo = fm_dsp_pair(in_offset);
    const int32_t *end = off + rows;
    const int8_t *xb = x + sw;
    for (; off != end; ++off, d += 4) {
        const int32_t o = *off;
        const uint32_t a = fm_dsp_ld4(x + o), b = fm_dsp_ld4(xb + o);
        fm_rows_st4(d, __sxtab16(xo, (int8x4_t)a), __sxtab16(xo, (int8x4_t)b), fm_dsp_hi(xo, a), fm_dsp_hi(xo, b));
    }
}

/* The widened patch of one position inside the input (x: its window's first value) at d[4r], d[4r + 2]. */
static void fm_rows_inside1(const int8_t *x, const int32_t *off, int32_t rows, int32_t in_offset, int32_t *d) {
    const int16x2_t xo = fm_dsp_pair(in_offset);
    int32_t r;
    for (r = 0; r < rows; ++r, d += 4) {
        const uint32_t a = fm_dsp_ld4(x + off[r]);
        d[0] = __sxtab16(xo, (int8x4_t)a);
        d[2] = fm_dsp_hi(xo, a);
    }
}

/* Positions pa + i, i < np, widened at cols (pairs interleaved); off[r] the window rows' offsets. */
static __attribute__((noinline)) void fm_rows_gather(const fm_rows_ctx_t *k, int32_t pa, int32_t np, int32_t out_w,
                                                     int32_t cin_g, const int32_t *off, int32_t rows, int32_t *cols) {
    int32_t i, oh = pa / out_w, ow = pa - oh * out_w, lo, hi;
    fm_rows_inside(k, oh, out_w, &lo, &hi);
    for (i = 0; i < np; ++i, ++ow) {
        int32_t *d = cols + (i >> 1) * 4 * rows + (i & 1);
        const int8_t *x;
        if (ow == out_w) {
            ow = 0;
            fm_rows_inside(k, ++oh, out_w, &lo, &hi);
        }
        if (ow < lo || ow >= hi) {
            fm_rows_column(k, oh, ow, cin_g, d);
            continue;
        }
        x = k->input + (oh * k->stride_h - k->pad_top) * k->in_w + ow * k->stride_w - k->pad_left;
        if ((i & 1) == 0 && i + 1 < np && ow + 1 < hi) {
            fm_rows_inside2(x, k->stride_w, off, rows, k->in_offset, d);
            ++i;
            ++ow;
            continue;
        }
        fm_rows_inside1(x, off, rows, k->in_offset, d);
    }
    if (np & 1) { /* the partner of the last position: zeros (its outputs are not stored) */
        int32_t *d = cols + (np >> 1) * 4 * rows + 1;
        for (i = 0; i < rows; ++i, d += 4) d[0] = d[2] = 0;
    }
}

/* acc = {A . j, B . j, A . j+1, B . j+1} + acc over `rows` (>= 1) window rows of interleaved columns x
 * and interleaved weights w. Written out in assembly, three rows per iteration (rows % 3 first, by
 * entering the loop at its third or second row): gcc 12 keeps single loads and pointer copies, 22
 * instructions per row instead of 12 and the loop test. */
#if defined(__OPTIMIZE__)
static inline __attribute__((always_inline)) void fm_rows_dot(const int32_t *x, const int32_t *w, int32_t rows,
                                                              int32_t acc[4]) {
    const int32_t *end = x + 4 * rows;
    const int32_t lead = rows % 3;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t xa, xb, wa, wb;
#define FM_ROWS_HALF                               \
    "ldrd %[xa], %[xb], [%[x]], #8\n\t"           \
    "ldrd %[wa], %[wb], [%[w]], #8\n\t"           \
    "smlad %[a0], %[xa], %[wa], %[a0]\n\t"        \
    "smlad %[a1], %[xb], %[wa], %[a1]\n\t"        \
    "smlad %[a2], %[xa], %[wb], %[a2]\n\t"        \
    "smlad %[a3], %[xb], %[wb], %[a3]\n\t"
    __asm__("cmp %[lead], #1\n\t"
            "beq 3f\n\t"
            "bhi 2f\n"
            "1:\n\t" FM_ROWS_HALF FM_ROWS_HALF "2:\n\t" FM_ROWS_HALF FM_ROWS_HALF "3:\n\t" FM_ROWS_HALF FM_ROWS_HALF
            "cmp %[x], %[end]\n\t"
            "bne 1b"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
              [xa] "=&r"(xa), [xb] "=&r"(xb), [wa] "=&r"(wa), [wb] "=&r"(wb)
            : [end] "r"(end), [lead] "r"(lead)
            : "cc", "memory");
#undef FM_ROWS_HALF
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#else /* -O0 keeps a frame pointer: the same sums in C */
static inline void fm_rows_dot(const int32_t *x, const int32_t *w, int32_t rows, int32_t acc[4]) {
    const int32_t *end = x + 4 * rows;
    for (; x != end; x += 2, w += 2) {
        acc[0] = __smlad((int16x2_t)x[0], (int16x2_t)w[0], acc[0]);
        acc[1] = __smlad((int16x2_t)x[1], (int16x2_t)w[0], acc[1]);
        acc[2] = __smlad((int16x2_t)x[0], (int16x2_t)w[1], acc[2]);
        acc[3] = __smlad((int16x2_t)x[1], (int16x2_t)w[1], acc[3]);
    }
}
#endif

/* The outputs of channels n (out) and n2 (out2) at one position from acc (fm_rows_dot's pair of channels). */
static inline __attribute__((always_inline)) void fm_rows_store(int32_t acc0, int32_t acc1, const fm_dsp_chq_t *q,
                                                                int32_t fast, const fm_requant_t *rq,
                                                                const int32_t *bias, int32_t n, int32_t n2,
                                                                int8_t *out, int8_t *out2) {
    if (fast) {
        *out = fm_dsp_rqk(acc0, fast, q[0].mult, q[0].add, q[0].rshift);
        *out2 = fm_dsp_rqk(acc1, fast, q[1].mult, q[1].add, q[1].rshift);
        return;
    }
    *out = fm_dsp_chq_out(acc0, &q[0], rq, bias, n);
    *out2 = fm_dsp_chq_out(acc1, &q[1], rq, bias, n2);
}

/* Channels n and n2 (n + 1, or n again for the padding channel of an odd block) at the np (even)
 * positions of the interleaved columns: out[i] and out2[i]; q their constants, `fast` the inline rule both
 * take or 0. */
static inline __attribute__((always_inline)) void fm_rows_loop(const int32_t *cols, int32_t np, const int32_t *tw,
                                                               int32_t rows, const fm_dsp_chq_t *q, int32_t fast,
                                                               const fm_requant_t *rq, const int32_t *bias,
                                                               int32_t n, int32_t n2, int8_t *out, int8_t *out2) {
    int8_t *const end = out + np;
    int32_t acc[4];
    for (; out != end; out += 2, out2 += 2, cols += 4 * rows) {
        acc[0] = acc[1] = q[0].init;
        acc[2] = acc[3] = q[1].init;
        fm_rows_dot(cols, tw, rows, acc);
        fm_rows_store(acc[0], acc[2], q, fast, rq, bias, n, n2, out, out2);
        fm_rows_store(acc[1], acc[3], q, fast, rq, bias, n, n2, out + 1, out2 + 1);
    }
}

/* fm_rows_loop with the requantization kind as a constant. */
static __attribute__((noinline)) void fm_rows_pair(const int32_t *cols, int32_t np, const int32_t *tw, int32_t rows,
                                                   const fm_dsp_chq_t *q, int32_t kind, const fm_requant_t *rq,
                                                   const int32_t *bias, int32_t n, int32_t n2, int8_t *out,
                                                   int8_t *out2) {
    if (kind == FM_DSP_FIXED) {
        fm_rows_loop(cols, np, tw, rows, q, FM_DSP_FIXED, rq, bias, n, n2, out, out2);
    } else if (kind == FM_DSP_TFLM) {
        fm_rows_loop(cols, np, tw, rows, q, FM_DSP_TFLM, rq, bias, n, n2, out, out2);
    } else {
        fm_rows_loop(cols, np, tw, rows, q, 0, rq, bias, n, n2, out, out2);
    }
}

/* The rows path. Scratch, 1,940 bytes (ops/conv.py: ROWS_SCRATCH): q[FM_ROWS_CH + 1],
 * tw[2 * FM_ROWS_CH * FM_ROWS_ROWS], columns[2 * FM_ROWS_POS * FM_ROWS_ROWS], sink[2 * FM_ROWS_POS] (the
 * outputs of an odd count of positions, copied out, and of the padding channel of an odd count of channels). */
static void fm_rows(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
                    const int32_t *bias, void *scratch, int8_t *output) {
    fm_dsp_chq_t *q = (fm_dsp_chq_t *)scratch;
    int32_t *tw = (int32_t *)(q + FM_ROWS_CH + 1);
    int32_t *cols = tw + 2 * FM_ROWS_CH * FM_ROWS_ROWS;
    int8_t *sink = (int8_t *)(cols + 2 * FM_ROWS_POS * FM_ROWS_ROWS);
    const int32_t cin_g = p->in_c / p->groups, cout_g = p->out_c / p->groups, rows = cin_g * p->k_h;
    const int32_t oplane = p->out_h * p->out_w, out_w = p->out_w;
    fm_rows_ctx_t k;
    int32_t off[FM_ROWS_ROWS];
    int32_t g, n0, nb, j, kind, pa, np, c, kh, i;
    k.in_h = p->in_h;
    k.in_w = p->in_w;
    k.plane = p->in_h * p->in_w;
    k.k_h = p->k_h;
    k.stride_h = p->stride_h;
    k.stride_w = p->stride_w;
    k.dil_h = p->dil_h;
    k.pad_top = p->pad_top;
    k.pad_left = p->pad_left;
    k.in_offset = p->in_offset;
    for (c = 0; c < cin_g; ++c) {
        for (kh = 0; kh < p->k_h; ++kh) off[c * p->k_h + kh] = c * k.plane + kh * p->dil_h * p->in_w;
    }
    for (g = 0; g < p->groups; ++g) {
        k.input = input + g * cin_g * k.plane;
        for (n0 = g * cout_g; n0 < (g + 1) * cout_g; n0 += nb) {
            nb = (g + 1) * cout_g - n0 < FM_ROWS_CH ? (g + 1) * cout_g - n0 : FM_ROWS_CH;
            for (j = 0, kind = -1; j < nb; ++j) {
                const int32_t fast = fm_dsp_chq_load(rq, bias, n0 + j, 3 * rows, &q[j]);
                kind = kind == -1 || kind == fast ? fast : 0;
            }
            q[nb] = q[nb - 1]; /* the padding channel of an odd block (its outputs are not stored) */
            fm_rows_weights(weights + n0 * 3 * rows, rows, nb, p->w_offset, tw);
            for (pa = 0; pa < oplane; pa += np) {
                np = oplane - pa < FM_ROWS_POS ? oplane - pa : FM_ROWS_POS;
                fm_rows_gather(&k, pa, np, out_w, cin_g, off, rows, cols);
                for (j = 0; j < nb; j += 2) {
                    int8_t *out = output + (n0 + j) * oplane + pa;
                    const int two = j + 1 < nb, odd = np & 1;
                    fm_rows_pair(cols, np + odd, tw + j * 2 * rows, rows, &q[j], kind, rq, bias, n0 + j,
                                two ? n0 + j + 1 : n0 + j, odd ? sink : out,
                                odd || !two ? sink + FM_ROWS_POS : out + oplane);
                    for (i = 0; i < np && odd; ++i) {
                        out[i] = sink[i];
                        if (two) out[oplane + i] = sink[FM_ROWS_POS + i];
                    }
                }
            }
        }
    }
}

/* Shapes off this path (never emitted by the compiler for this entry), NULL arguments and bad params
 * go to fm_conv_s8. */
fm_status_t fm_conv_rows_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output) {
    if (p == 0 || rq == 0 || input == 0 || weights == 0 || scratch == 0 || output == 0 || !fm_rows_ok(p)) {
        return fm_conv_s8(p, rq, input, weights, bias, scratch, output);
    }
    fm_rows(p, rq, input, weights, bias, scratch, output);
    return FM_OK;
}
