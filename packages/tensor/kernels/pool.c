/*
 * Pooling over NCHW planes: windowed max / avg / l2 and the global pools.
 *
 * Windowed, per output (oy, ox) of a plane, over the window's real cells
 * (padding is not a value), ky then kx, one float32 rounding per step:
 *   max  m = max(…max(max(−∞, x0), x1)…)        (f32 max: a NaN wins)
 *   avg  s = (…((+0 + x0) + x1)…);  s / count    (count = real cells)
 *   l2   s = (…((+0 + x0·x0) + x1·x1)…);  sqrt(s)
 * Rows outside the input are skipped; columns outside it are read as neutral
 * cells (−∞ for max, +0 for the sums) from a padded copy of the rows. That
 * changes no bit: max(v, −∞) = v, and s + 0 = s because a sum that starts at
 * +0 is never −0. So an output has the same bits whichever path, call or
 * region computes it.
 *
 * SIMD runs across 4 outputs of a row (channels are separate planes in NCHW):
 * the taps of outputs ox..ox+3 at one window cell are 4 cells `sw` apart —
 * one load for stride 1, two loads and a shuffle for stride 2, four scalar
 * loads otherwise. 2×2 stride 2 (the common case) deinterleaves each input
 * row once for both taps. The last 1–3 outputs of a row are one more vector
 * whose spare lanes repeat the last output, so they take the same code.
 */
#include "engine.h"

enum { POOL_MAX = 0, POOL_AVG = 1, POOL_L2 = 2 };

/*
 * One call: `planes` planes of an input block (the region's input window
 * clipped to the input) to an output block (the region's outputs), each with
 * its own plane and row strides: a copy in scratch, or the feature map itself
 * when it lives in engine memory.
 */
typedef struct {
  int32_t op;          /* POOL_MAX, POOL_AVG, POOL_L2 */
  int32_t planes;
  MEMPTR(const float) src; /* input plane p, row r, column c at src[p·srcPlane + r·srcRow + c] */
  int32_t rows, cols;  /* the block's input rows and columns (all real cells) */
  int32_t ya, xa;      /* block row / column of the first window cell of output (0, 0): ≤ 0, < 0 where padding comes first */
  int32_t kh, kw, sh, sw, dh, dw;
  int32_t outRows, outCols;
  MEMPTR(float) dst;   /* output plane p, row j, column i at dst[p·dstPlane + j·dstRow + i] */
  MEMPTR(float) work;  /* padded rows of one plane (when windows reach past the block's columns), then the column counts */
  int32_t srcPlane, srcRow, dstPlane, dstRow;
} PoolCall;

_Static_assert(sizeof(PoolCall) == 21 * 4, "PoolCall is read field by field from TypeScript (pool/fast.ts)");

/*
 * Inner-loop shapes: stride 1 (the taps of consecutive outputs are
 * consecutive cells); stride 2, its rows first split by column parity so that
 * they are too; any other stride (4 scalar loads); exactly 2×2 stride 2
 * dilation 1 (two loads and a shuffle per tap).
 */
enum { STEP_1, STEP_2, STEP_ANY, K2S2 };

/* The taps of 4 consecutive outputs at one window cell: p[0], p[xs], p[2·xs], p[3·xs]. */
static inline f32x4 taps(const float *p, int step, int xs) {
  if (step == STEP_ANY) return wasm_f32x4_make(p[0], p[xs], p[2 * xs], p[3 * xs]);
  if (step == K2S2) return wasm_i32x4_shuffle(load4(p), load4(p + 4), 0, 2, 4, 6);
  return load4(p);
}

/*
 * A running max, sum or sum of squares. Max is f32x4.pmax (one maxps; the
 * NaN-propagating f32x4.max is a 9-instruction chain in V8) plus a mask of
 * the lanes that saw a NaN, applied at the end: the same value, NaN included.
 */
typedef struct { f32x4 v, nan; } Acc;

static inline Acc start(int op) {
  return (Acc){ splat(op == POOL_MAX ? -__builtin_inff() : 0.0f), wasm_i32x4_splat(0) };
}

static inline void accumulate(Acc *a, f32x4 x, int op) {
  if (op == POOL_MAX) {
    a->v = wasm_f32x4_pmax(a->v, x);
    a->nan = wasm_i32x4_min(a->nan, wasm_f32x4_ne(x, x)); /* an or of 0 / −1 masks; clang turns v128.or into a 3-op bitselect here */
  } else if (op == POOL_L2) {
    a->v = wasm_f32x4_add(a->v, wasm_f32x4_mul(x, x));
  } else {
    a->v = wasm_f32x4_add(a->v, x);
  }
}

/* max: NaN where one was seen; avg: divide by real cells (real rows × real columns, exact in float32); l2: square root. */
static inline f32x4 finish(Acc a, int op, f32x4 rowsReal, f32x4 colsReal) {
  if (op == POOL_MAX) return wasm_v128_bitselect(splat(__builtin_nanf("")), a.v, a.nan);
  if (op == POOL_AVG) return wasm_f32x4_div(a.v, wasm_f32x4_mul(rowsReal, colsReal));
  return wasm_f32x4_sqrt(a.v);
}

/*
 * V vectors (4·V consecutive outputs of a row) from window cell p of the
 * first, over nk window rows `rowStep` floats apart, tap kx at p + off[kx],
 * output columns `xs` floats apart: V independent accumulators, so the loop
 * overhead and the add latency are shared.
 */
static inline __attribute__((always_inline))
void pool_vectors(Acc *acc, const float *p, int nk, int rowStep, int kw, const int32_t *off, int xs, int op, int step, int V) {
  for (int v = 0; v < V; v++) acc[v] = start(op);
  for (int ky = 0; ky < nk; ky++, p += rowStep) {
    for (int kx = 0; kx < kw; kx++) {
      for (int v = 0; v < V; v++) accumulate(&acc[v], taps(p + off[kx] + 4 * v * xs, step, xs), op);
    }
  }
}

/*
 * One plane. `in` is block row 0 at window column 0 of output column 0, rows
 * `pitch` floats apart; tap kx of an output lies `off[kx]` floats from its
 * first, output columns `xs` floats apart; every tap can be read there (real
 * or neutral). `colsReal[i]` is the number of real columns of output column i.
 */
static inline __attribute__((always_inline))
void pool_plane(const PoolCall *a, const float *in, int pitch, const int32_t *off, const float *colsReal, float *out, int op, int step) {
  /* xs as a constant where the shape fixes it, so addresses need no multiply. */
  const int xs = step == STEP_ANY ? a->sw : step == K2S2 ? 2 : 1;
  const int kh = a->kh, kw = a->kw, sh = a->sh, dh = a->dh;
  const int outRows = a->outRows, outCols = a->outCols, rows = a->rows, ya = a->ya;
  const int full = outCols & ~3, rowStep = dh * pitch;
  for (int j = 0; j < outRows; j++, out += a->dstRow) {
    /* Window rows r0 + ky·dh; the real ones (inside the block) are ky in [ky0, ky1). */
    const int r0 = j * sh + ya;
    const int ky0 = r0 >= 0 ? 0 : (-r0 + dh - 1) / dh;
    int ky1 = (rows - 1 - r0) / dh + 1;
    if (ky1 > kh) ky1 = kh;
    const int nk = ky1 - ky0;
    const float *row0 = in + (r0 + ky0 * dh) * pitch;
    const f32x4 rowsReal = splat((float)nk);
    Acc acc[4];
    int i = 0;
    if (step == K2S2 && nk == 2) {
      /* Both window rows real (all but an edge row): 8 cells of each row give 4 outputs. */
      const float *p0 = row0, *p1 = row0 + rowStep;
      for (; i < full; i += 4, p0 += 8, p1 += 8) {
        const f32x4 a0 = load4(p0), a1 = load4(p0 + 4), b0 = load4(p1), b1 = load4(p1 + 4);
        Acc s = start(op);
        accumulate(&s, wasm_i32x4_shuffle(a0, a1, 0, 2, 4, 6), op);
        accumulate(&s, wasm_i32x4_shuffle(a0, a1, 1, 3, 5, 7), op);
        accumulate(&s, wasm_i32x4_shuffle(b0, b1, 0, 2, 4, 6), op);
        accumulate(&s, wasm_i32x4_shuffle(b0, b1, 1, 3, 5, 7), op);
        store4(out + i, finish(s, op, rowsReal, op == POOL_AVG ? load4(colsReal + i) : rowsReal));
      }
    }
    for (; i + 16 <= outCols; i += 16) {
      pool_vectors(acc, row0 + i * xs, nk, rowStep, kw, off, xs, op, step, 4);
      for (int v = 0; v < 4; v++) store4(out + i + 4 * v, finish(acc[v], op, rowsReal, op == POOL_AVG ? load4(colsReal + i + 4 * v) : rowsReal));
    }
    for (; i < full; i += 4) {
      pool_vectors(acc, row0 + i * xs, nk, rowStep, kw, off, xs, op, step, 1);
      store4(out + i, finish(acc[0], op, rowsReal, op == POOL_AVG ? load4(colsReal + i) : rowsReal));
    }
    if (full < outCols) {
      /* The last 1–3 outputs: lanes past the end repeat the last output's taps. */
      int o[4];
      for (int l = 0; l < 4; l++) o[l] = full + l < outCols ? full + l : outCols - 1;
      acc[0] = start(op);
      const float *p = row0;
      for (int ky = 0; ky < nk; ky++, p += rowStep) {
        for (int kx = 0; kx < kw; kx++) {
          const float *q = p + off[kx];
          accumulate(&acc[0], wasm_f32x4_make(q[o[0] * xs], q[o[1] * xs], q[o[2] * xs], q[o[3] * xs]), op);
        }
      }
      const f32x4 cr = op == POOL_AVG ? wasm_f32x4_make(colsReal[o[0]], colsReal[o[1]], colsReal[o[2]], colsReal[o[3]]) : rowsReal;
      float v[4];
      store4(v, finish(acc[0], op, rowsReal, cr));
      for (int c = full; c < outCols; c++) out[c] = v[c - full];
    }
  }
}

static inline __attribute__((always_inline))
void pool_call(const PoolCall *a, int op, int step) {
  const int rows = a->rows, cols = a->cols, xa = a->xa, kw = a->kw, sw = a->sw, dw = a->dw;
  const int outCols = a->outCols;
  /* Window columns one row of outputs spans, and whether some lie outside the block. */
  const int spanW = (outCols - 1) * sw + (kw - 1) * dw + 1;
  const int padded = xa < 0 || xa + spanW > cols;
  const int pitch = (spanW + 4 + 3) & ~3;         /* a padded row (+4: K2S2's loads read one float past the last tap) */
  const int half = ((spanW + 1) / 2 + 4 + 3) & ~3; /* one parity of a split row */
  /* work (pool/fast.ts sizes it): prepared rows and a spare row, then the column counts, then the tap offsets. */
  float *rowsBuf = AT(float, a->work);
  float *colsReal = rowsBuf + (rows + 1) * (pitch + 16);
  int32_t *off = (int32_t *)(colsReal + outCols);

  /* Real columns per output column (avg's divisor), and where each tap lies from an output's first. */
  if (op == POOL_AVG) {
    for (int i = 0; i < outCols; i++) {
      int n = 0;
      for (int kx = 0, c = i * sw + xa; kx < kw; kx++, c += dw) n += c >= 0 && c < cols;
      colsReal[i] = (float)n;
    }
  }
  for (int kx = 0; kx < kw; kx++) off[kx] = step == STEP_2 ? ((kx * dw) & 1) * half + ((kx * dw) >> 1) : kx * dw;

  const f32x4 neutral = start(op).v;
  for (int p = 0; p < a->planes; p++) {
    const float *plane = AT(const float, a->src) + (int64_t)p * a->srcPlane;
    float *out = AT(float, a->dst) + (int64_t)p * a->dstPlane;
    const int srcRow = a->srcRow;
    if (step == STEP_2) {
      /* Each row padded in the spare row, then split: window column c at rowsBuf[r·2·half + (c mod 2)·half + ⌊c / 2⌋]. */
      float *line = rowsBuf + rows * 2 * half;
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < 2 * half; c += 4) store4(line + c, neutral);
        __builtin_memcpy(line - xa, plane + r * srcRow, (unsigned long)cols * sizeof(float));
        float *even = rowsBuf + r * 2 * half, *odd = even + half;
        for (int c = 0; c < half; c += 4) {
          const f32x4 v0 = load4(line + 2 * c), v1 = load4(line + 2 * c + 4);
          store4(even + c, wasm_i32x4_shuffle(v0, v1, 0, 2, 4, 6));
          store4(odd + c, wasm_i32x4_shuffle(v0, v1, 1, 3, 5, 7));
        }
      }
      pool_plane(a, rowsBuf, 2 * half, off, colsReal, out, op, step);
    } else if (padded) {
      /* The plane's rows between neutral columns: window column c at rowsBuf[r·pitch + c]. */
      for (int r = 0; r < rows; r++) {
        float *d = rowsBuf + r * pitch;
        for (int c = 0; c < pitch; c += 4) store4(d + c, neutral);
        __builtin_memcpy(d - xa, plane + r * srcRow, (unsigned long)cols * sizeof(float));
      }
      pool_plane(a, rowsBuf, pitch, off, colsReal, out, op, step);
    } else {
      pool_plane(a, plane + xa, srcRow, off, colsReal, out, op, step);
    }
  }
}

/*
 * One function per (op, inner-loop shape), so the inner loops carry no
 * branches on either. Not inlined into one: V8 compiles a function that big
 * with much slower loops (measured 3×).
 */
#define POOL_FN(OP, STEP) \
  static __attribute__((noinline)) void pool_##OP##_##STEP(const PoolCall *a) { pool_call(a, OP, STEP); }
#define POOL_FNS(OP) POOL_FN(OP, STEP_1) POOL_FN(OP, STEP_2) POOL_FN(OP, STEP_ANY) POOL_FN(OP, K2S2)
POOL_FNS(POOL_MAX)
POOL_FNS(POOL_AVG)
POOL_FNS(POOL_L2)

typedef void (*PoolFn)(const PoolCall *);
static const PoolFn POOL_TABLE[3][4] = {
  { pool_POOL_MAX_STEP_1, pool_POOL_MAX_STEP_2, pool_POOL_MAX_STEP_ANY, pool_POOL_MAX_K2S2 },
  { pool_POOL_AVG_STEP_1, pool_POOL_AVG_STEP_2, pool_POOL_AVG_STEP_ANY, pool_POOL_AVG_K2S2 },
  { pool_POOL_L2_STEP_1, pool_POOL_L2_STEP_2, pool_POOL_L2_STEP_ANY, pool_POOL_L2_K2S2 },
};

EXPORT(pool2d)
void pool2d(const PoolCall *a) {
  const int k2s2 = a->kh == 2 && a->kw == 2 && a->sw == 2 && a->dw == 1;
  const int step = k2s2 ? K2S2 : a->sw == 1 ? STEP_1 : a->sw == 2 ? STEP_2 : STEP_ANY;
  if ((uint32_t)a->op > POOL_L2) __builtin_trap(); /* an op code pool/fast.ts never sends */
  POOL_TABLE[a->op][step](a);
}

/*
 * Global pools: per plane of `len` cells (dense, planes `len` apart), in
 * memory order (row-major):
 *   max  m = max(…max(−∞, x0)…);   avg  s = (…(+0 + x0) + x1…) / len
 * SIMD across 4 planes: 4×4 blocks are transposed so lane l adds plane l's
 * cells one by one, in order. The last 1–3 planes are a vector whose spare
 * lanes repeat the last plane.
 */
static inline __attribute__((always_inline))
void global_planes(const float *src, int planes, int len, float *dst, int op) {
  const int full = len & ~3;
  for (int p = 0; p < planes; p += 4) {
    const float *q0 = src + p * len;
    const float *q1 = src + (p + 1 < planes ? p + 1 : planes - 1) * len;
    const float *q2 = src + (p + 2 < planes ? p + 2 : planes - 1) * len;
    const float *q3 = src + (p + 3 < planes ? p + 3 : planes - 1) * len;
    Acc acc = start(op);
    for (int i = 0; i < full; i += 4) {
      const f32x4 a0 = load4(q0 + i), a1 = load4(q1 + i), a2 = load4(q2 + i), a3 = load4(q3 + i);
      const f32x4 u0 = wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), u1 = wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5);
      const f32x4 u2 = wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7), u3 = wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7);
      accumulate(&acc, wasm_i32x4_shuffle(u0, u1, 0, 1, 4, 5), op);
      accumulate(&acc, wasm_i32x4_shuffle(u0, u1, 2, 3, 6, 7), op);
      accumulate(&acc, wasm_i32x4_shuffle(u2, u3, 0, 1, 4, 5), op);
      accumulate(&acc, wasm_i32x4_shuffle(u2, u3, 2, 3, 6, 7), op);
    }
    for (int i = full; i < len; i++) accumulate(&acc, wasm_f32x4_make(q0[i], q1[i], q2[i], q3[i]), op);
    const f32x4 n = splat((float)len);
    const f32x4 r = op == POOL_MAX ? finish(acc, op, n, n) : wasm_f32x4_div(acc.v, n);
    float v[4];
    store4(v, r);
    for (int l = 0; l < 4 && p + l < planes; l++) dst[p + l] = v[l];
  }
}

EXPORT(global_pool)
void global_pool(int32_t op, const float *src, int32_t planes, int32_t len, float *dst) {
  if (op == POOL_MAX) global_planes(src, planes, len, dst, POOL_MAX);
  else global_planes(src, planes, len, dst, POOL_AVG);
}
