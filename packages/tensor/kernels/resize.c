/*
 * Nearest-neighbour resize of feature maps in engine memory: a copy, so the
 * bits are the input's whatever the path. TypeScript (ops/resize/fast.ts)
 * tabulates, for the region's output rows and columns, the element offset of
 * each one's source row and column (nearestSource: every coordinate mode and
 * rounding), and says whether the columns repeat with an integer factor.
 *
 * Loop order: n, c, then output rows. A row whose source row is the row
 * above's is a copy of that output row (just written, in cache); any other
 * row is gathered column by column — or, when the source columns are an
 * integer upscale (xs[j] = xs[0] + (j + phase) / factor, unit stride), by
 * vector stores: factor 1 a memcpy, 2 a shuffle of 4 inputs into 8
 * outputs, a multiple of 4 a splat per input; the unaligned head and the
 * tail are gathered.
 */
#include "engine.h"

typedef struct {
  MEMPTR(const float) src; /* input element (n0, c0, 0, 0) */
  MEMPTR(float) dst;       /* output element (n0, c0, y0, x0); columns at unit stride */
  MEMPTR(const int32_t) ys; /* per output row of the region: element offset of its source row */
  MEMPTR(const int32_t) xs; /* per output column of the region: element offset of its source column */
  int32_t ext[4];          /* region extents: n, c, rows, cols */
  int32_t ss[2];           /* input element strides along n, c */
  int32_t os[3];           /* output element strides along n, c, y */
  int32_t factor;          /* > 0: the columns repeat with this factor (unit input stride); 0: gather */
  int32_t phase;           /* with factor: column j reads xs[0] + (j + phase) / factor, 0 ≤ phase < factor */
} NearestCall;

_Static_assert(sizeof(NearestCall) == 15 * 4, "NearestCall is written field by field from TypeScript (ops/resize/fast.ts)");

/* One output row from source row `s`. */
static void nearest_row(const float *s, float *o, const int32_t *xs, int32_t nx, int32_t f, int32_t p) {
  int32_t j = 0;
  if (f == 1) {
    __builtin_memcpy(o, s + xs[0], (unsigned long)nx * sizeof(float));
    return;
  }
  if (f > 1) {
    /* head: up to the first column that starts a group of f */
    const int32_t head = p == 0 ? 0 : f - p;
    for (; j < head && j < nx; j++) o[j] = s[xs[j]];
    const float *in = s + (j < nx ? xs[j] : 0);
    if (f == 2) {
      for (; j + 8 <= nx; j += 8, in += 4) {
        const f32x4 v = load4(in);
        store4(o + j, wasm_i32x4_shuffle(v, v, 0, 0, 1, 1));
        store4(o + j + 4, wasm_i32x4_shuffle(v, v, 2, 2, 3, 3));
      }
    } else if (f % 4 == 0) {
      for (; j + f <= nx; j += f, in++) {
        const f32x4 v = splat(*in);
        for (int32_t t = 0; t < f; t += 4) store4(o + j + t, v);
      }
    } else {
      for (; j + f <= nx; j += f, in++) {
        const float v = *in;
        for (int32_t t = 0; t < f; t++) o[j + t] = v;
      }
    }
  }
  for (; j < nx; j++) o[j] = s[xs[j]];
}

EXPORT(resize_nearest) void resize_nearest(const NearestCall *k) {
  const float *S = AT(const float, k->src);
  float *O = AT(float, k->dst);
  const int32_t *ys = AT(const int32_t, k->ys), *xs = AT(const int32_t, k->xs);
  const int32_t ny = k->ext[2], nx = k->ext[3];
  for (int32_t n = 0; n < k->ext[0]; n++)
    for (int32_t c = 0; c < k->ext[1]; c++) {
      const float *plane = S + n * k->ss[0] + c * k->ss[1];
      float *out = O + n * k->os[0] + c * k->os[1];
      for (int32_t i = 0; i < ny; i++) {
        float *o = out + i * k->os[2];
        if (i > 0 && ys[i] == ys[i - 1]) __builtin_memcpy(o, o - k->os[2], (unsigned long)nx * sizeof(float));
        else nearest_row(plane + ys[i], o, xs, nx, k->factor, k->phase);
      }
    }
}
