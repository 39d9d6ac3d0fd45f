/* flightml runtime: kernel API. Hand-written, C99. Stable contract: a second kernel set
 * (kernels/dsp/) implements exactly these functions with exactly these signatures; a file it does not
 * have (by name) is taken from kernels/portable/ when the compiler writes a package.
 *
 * Conventions for every kernel:
 * - argument order: params, requant, input(s), weights, bias, scratch, output; returns fm_status_t (FM_OK = 0).
 * - scratch (convolution, fully connected and Add kernels): work memory, 8-byte aligned, at least the bytes the
 *   compiler declares for the layer's shape (scratch_bytes in the op module), placed by the planner in
 *   the arena; its contents are not kept between calls. Kernels keep no work buffer on the stack.
 * - tensors are int8, batch 1, row-major NCHW (1-D layers use H = 1): x[c][h][w].
 * - activations are int8 in [-128, 127] with zero points in [-128, 127] (uint8 models are shifted
 *   by -128 at compile time); offsets are minus zero points, in [-127, 128].
 * - conv weights: int8 [out_c][in_c / groups][k_h][k_w]; fc weights: int8 [out_features][in_features];
 *   bias: int32 [out_c] (or NULL), added with int32 saturation after the products.
 * - the compiler guarantees that the sum of products fits in int32 (|sum| < 2^31).
 * - output must not alias any input; scratch aliases neither inputs nor output.
 */
#ifndef FM_KERNELS_H
#define FM_KERNELS_H

#include <stdint.h>

#include "fm_requant.h"
#include "fm_status.h"

typedef struct {
    int32_t in_c, in_h, in_w;       /* input shape, all >= 1 */
    int32_t out_c, out_h, out_w;    /* output shape, all >= 1 */
    int32_t k_h, k_w;               /* kernel size, >= 1 */
    int32_t stride_h, stride_w;     /* >= 1 */
    int32_t dil_h, dil_w;           /* dilation, >= 1 */
    int32_t pad_top, pad_left;      /* leading padding, >= 0 (trailing padding is implied by out_h/out_w) */
    int32_t groups;                 /* >= 1, divides in_c and out_c (groups == in_c: depthwise) */
    int32_t in_offset;              /* -input zero point, [-127, 128] */
    int32_t w_offset;               /* -weight zero point, [-127, 128] */
} fm_conv_params_t;

typedef struct {
    int32_t channels;               /* >= 1 */
    int32_t in_h, in_w;             /* pooled input shape */
    int32_t out_h, out_w;           /* pooled output shape */
    int32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w;
    int32_t pad_top, pad_left;      /* padded positions are ignored (never selected, never averaged) */
} fm_pool_params_t;

typedef struct {
    int32_t rows;                   /* independent input rows (batch x M), >= 1 */
    int32_t in_features;            /* K, >= 1 */
    int32_t out_features;           /* N, >= 1 */
    int32_t in_offset;              /* -input zero point, [-127, 128] */
    int32_t w_offset;               /* -weight zero point, [-127, 128] */
} fm_fc_params_t;

typedef struct {
    int32_t size;                   /* output elements, >= 1 */
    int32_t a_size, b_size;         /* input elements: size, or a divisor of size (trailing broadcast: x[i % n]) */
} fm_add_params_t;

typedef struct {
    fm_pool_params_t pool;          /* windows; GlobalAveragePool: one window covering the whole input */
    int32_t in_offset;              /* -input zero point, [-127, 128] */
    int32_t count_include_pad;      /* 1: divide by k_h * k_w; 0: by the number of valid positions */
} fm_avgpool_params_t;

typedef struct {
    const float *scales;            /* { input scale, output scale } (float32) */
    int32_t out_zp_raw;             /* output zero point in the model's own type (uint8: 0..255) */
    int32_t raw_shift;              /* 128 for uint8 models (raw - 128 = the int8 held), else 0 */
    int32_t act_min, act_max;       /* clamp of the int8 result */
} fm_avgpool_ort_t;

typedef struct {
    int32_t n_inputs;               /* >= 1 */
    int32_t outer;                  /* product of the dimensions before the concat axis */
    const int32_t *chunk;           /* per input: product of its dimensions from the axis on */
    const int8_t *const *tables;    /* per input: NULL (same quantization: copy) or int8[256] indexed by x + 128 */
} fm_concat_params_t;

typedef struct {
    fm_pool_params_t pool;          /* windows; padded positions are not counted */
    int32_t act_min, act_max;       /* output clamp (fused activation), int8 */
} fm_avgpool_div_params_t;

typedef struct {
    int32_t rows;                   /* independent rows, >= 1 */
    int32_t depth;                  /* softmax length (last axis), >= 1 */
    int32_t input_mult;             /* fixedpoint: input rescale multiplier, Q0.31 (TFLite input_multiplier) */
    int32_t input_shift;            /* fixedpoint: its left shift, [0, 30] */
    int32_t diff_min;               /* fixedpoint: x - max below this gives exp 0 (TFLite diff_min), <= 0 */
    int32_t out_mult, out_shift;    /* fixedpoint: multiplier of 1 / (s_out * 2^31) (scale 1/256: 2^30, -22) */
    int32_t out_zp;                 /* output zero point, [-128, 127] */
} fm_softmax_params_t;

typedef struct {
    int32_t d0, d1, d2, d3;         /* output dimensions after the batch (leading ones pad to 4), >= 1 */
    int32_t s0, s1, s2, s3;         /* input stride, in elements, of the dimension each output one reads */
} fm_transpose_params_t;

/* Convolution (1-D/2-D, stride, padding, dilation, groups), requantized per output channel. */
fm_status_t fm_conv_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
               const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output);

/* The same convolution, entry points the compiler calls by layer shape so that a kernel set links only
 * the paths a model uses (each handles every shape; the DSP set has a fast path for the named one):
 * depthwise with 3 taps along w (groups == in_c == out_c, k_w == 3, dil_w == 1, stride_w 1 or 2,
 * k_h <= 8, out_w >= 2, every window starting inside the row; in_w >= 4 and pad_left <= 3, or a plane whose
 * padded copy fits 256 bytes: see conv_dw.c), convolutions with at least 4 output channels per group and at most 64 taps
 * per window (matrix multiply over the patch), and among those the windows of 3 taps along w (dil_w == 1) with
 * (in_c / groups) * k_h <= 9 (the rows path: conv_rows.c). */
fm_status_t fm_conv_dw_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                  const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output);
fm_status_t fm_conv_mm_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                  const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output);
fm_status_t fm_conv_rows_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                    const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output);

/* Conv1d-style layers (the SpectrumNet family): 3 taps along w, stride 1 and no dilation there, out_w >= 2,
 * (in_c / groups) * k_h <= 16; the fused form also a 1 x 2 max pool with stride 1 x 2, no padding, over the
 * whole conv output (pool out_h == out_h, out_w == out_w / 2). The compiler calls these only for those
 * shapes (ops/conv.py, ops/conv_maxpool.py: pair_shape); the DSP set handles nothing else (FM_ERR_PARAM),
 * so a model on its pair path links no scalar fallback; the portable set handles every shape. */
fm_status_t fm_conv_pair_s8(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                    const int8_t *weights, const int32_t *bias, void *scratch, int8_t *output);
fm_status_t fm_conv_maxpool_pair_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                            const int8_t *input, const int8_t *weights, const int32_t *bias, void *scratch,
                            int8_t *output);

/* Convolution + max pooling fused: the conv output is never stored whole (saves arena). The pool
 * params describe the pooling of the conv output (pool->in_h/in_w == p->out_h/out_w). */
fm_status_t fm_conv_maxpool_s8(const fm_conv_params_t *p, const fm_pool_params_t *pool, const fm_requant_t *rq,
                       const int8_t *input, const int8_t *weights, const int32_t *bias, void *scratch,
                       int8_t *output);

/* Fully connected: output[r][n] = requant(sum_k (x[r][k] + in_offset) * (w[n][k] + w_offset) + bias[n]). */
fm_status_t fm_fc_s8(const fm_fc_params_t *p, const fm_requant_t *rq, const int8_t *input, const int8_t *weights,
             const int32_t *bias, void *scratch, int8_t *output);

/* Max pooling over windows (padding ignored); output keeps the input quantization. */
fm_status_t fm_maxpool_s8(const fm_pool_params_t *p, const int8_t *input, int8_t *output);

/* Average pooling: acc = sum of (x + in_offset) over the window's valid positions, requantized with the
 * requant entry (count - 1) (rq->per_channel = 1: one constant per possible divisor count). */
fm_status_t fm_avgpool_s8(const fm_avgpool_params_t *p, const fm_requant_t *rq, const int8_t *input, int8_t *output);

/* Average pooling as ONNX Runtime's QLinearAveragePool: float32 sum over the window (rows, then columns) of
 * scales[0] * (x + in_offset), divided by the count, y = nearbyint(sum / scales[1] + out_zp_raw) - raw_shift. */
fm_status_t fm_avgpool_ort_s8(const fm_avgpool_params_t *p, const fm_avgpool_ort_t *q, const int8_t *input, int8_t *output);

/* Concat along one axis: per outer step, chunk[i] values of input i, copied or requantized by its table. */
fm_status_t fm_concat_s8(const fm_concat_params_t *p, const int8_t *const *inputs, int8_t *output);

/* Elementwise Add with requantization (residual connections, MatMul + bias): out[i] = requant(a[i % a_size],
 * b[i % b_size]). Either input may be a constant array. Scratch: 2,048 bytes when a_size == b_size == size
 * >= 256 and the constants are integer (mult != NULL), else 8 (ops/add.py: scratch_bytes). */
fm_status_t fm_add_s8(const fm_add_params_t *p, const fm_add_requant_t *rq, const int8_t *a, const int8_t *b,
              void *scratch, int8_t *output);

/* TFLite's int8 average pool (input and output quantized alike): sum of the valid positions' raw values
 * divided by their count, rounded half away from zero, clamped to [act_min, act_max]. */
fm_status_t fm_avgpool_div_s8(const fm_avgpool_div_params_t *ap, const int8_t *input, int8_t *output);


/* Softmax over each row of `depth` values, TFLite's integer algorithm (reference_ops::Softmax, int8 in and
 * out); the probability is requantized by out_mult/out_shift with one rounding (TFLite's for scale 1/256). */
fm_status_t fm_softmax_s8(const fm_softmax_params_t *p, const int8_t *input, int8_t *output);

/* Softmax as ONNX Runtime's QLinearSoftmax: table[d] (d = row max - x, 0..255) summed in float32,
 * y = nearbyint(table[d] * table[256] / sum) + out_zp, clamped to int8. */
fm_status_t fm_softmax_ort_s8(const fm_softmax_params_t *p, const float *table, const int8_t *input, int8_t *output);

/* Transpose: output[a][b][c][d] = input[a * s0 + b * s1 + c * s2 + d * s3] (a copy, no requantization). */
fm_status_t fm_transpose_s8(const fm_transpose_params_t *p, const int8_t *input, int8_t *output);

/* Kernels of one op alone (e.g. Sigmoid's table lookup): declared in their op module (KERNELS, STRUCTS),
 * rendered by the compiler into fm_op_kernels.h, a generated file every package holds (not this folder). */
#include "fm_op_kernels.h"

#endif /* FM_KERNELS_H */
