/* flightml DSP convolution internals shared by conv.c (entry points, general path) and
 * conv_tile.c (fast path). Hand-written, C99 + ACLE. */
#ifndef FM_DSP_CONV_H
#define FM_DSP_CONV_H

#include "fm_dsp.h"

#define FM_TILE_PAIRS 8   /* at most this many position pairs per tile */
#define FM_TILE_GROUPS 8  /* fast path: patches of at most 8 groups of four values (32 values) */
#define FM_TILE_CAP 32    /* widened groups per tile (pairs x groups per patch): 512 bytes */

/* First and one-past-last tap k in [0, k) with 0 <= base + k * dil < size. */
static inline void fm_taps(int32_t base, int32_t dil, int32_t size, int32_t k, int32_t *lo, int32_t *hi) {
    int32_t a = 0;
    int32_t b = k;
    while (a < k && base + a * dil < 0) ++a;
    while (b > a && base + (b - 1) * dil >= size) --b;
    *lo = a;
    *hi = b;
}

/* One pair of output positions (a and b; b == a when alone) and where its results go: plain
 * convolution writes a to dst_a and b to dst_b; fused pooling folds both into pooled output dst_a. */
typedef struct {
    int32_t ah, aw, bh, bw;
    int32_t dst_a, dst_b;
} fm_pos_pair_t;

/* 1 when the fast path handles convolution p (patch of at most FM_TILE_GROUPS groups). */
int fm_dsp_tile_ok(const fm_conv_params_t *p);

/* Position pairs per tile for convolution p (fast path only): FM_TILE_CAP / groups, at most FM_TILE_PAIRS. */
int32_t fm_dsp_tile_pairs(const fm_conv_params_t *p);

/* Runs up to fm_dsp_tile_pairs(p) position pairs for every output channel: plain (pool == 0) writes
 * output[oc * plane + dst], fused (pool == 1) writes max(a, b) requantized to output[oc * plane + dst_a]. */
void fm_dsp_conv_tile(const fm_conv_params_t *p, const fm_requant_t *rq, const int8_t *input,
                      const int8_t *weights, const int32_t *bias, const fm_pos_pair_t *pairs, int32_t n_pairs,
                      int pool, int32_t plane, int8_t *output);

#endif /* FM_DSP_CONV_H */
