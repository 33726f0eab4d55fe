/*
 * conv2d: register tiles over a zero-padded float32 copy of the region's input
 * window, laid out HWC (the "patch": channels innermost), so channels sit in
 * SIMD lanes as in XNNPACK and MLAS.
 *
 * Dense and grouped convolution (conv2d_tiles_8x4): 8 output channels × 4
 * output positions per tile, 8 f32x4 accumulators; per tap and input channel
 * two vector loads of packed weights and four broadcast input values.
 *
 *   s(co, q) = Σ_{t = (ky, kx)} Σ_{ci} w[co][t][ci] · x[qoff[q] + toff[t] + ci]
 *
 * Loop order, which fixes the bits: each sum starts at +0 and adds one float32
 * product at a time (multiply, then add; never fused) in (ky, kx, ci) order;
 * then the epilogue (engine.h). Nothing depends on the region or the tile, so
 * any cut of the output gives the same bits. 8 × 4 was the fastest tile under
 * V8 (16 xmm registers): 16 × 2 ran the same; 8 × 5, 8 × 6, 12 × 4, the
 * position-major 4 × 8, 5 × 8 and 3 × 12, and unrolling the channel loop all
 * measured 15–40 % slower (spills, or V8's loop bookkeeping).
 *
 * Outputs are stored channel-major ([channel][position]) after a 4 × 4
 * transpose: straight into an NCHW feature map, or into a buffer.
 *
 * Pointwise (conv2d_pointwise) and depthwise (conv2d_depthwise), below, read
 * NCHW planes directly instead.
 */
#include "engine.h"

/* Rows r0..r3 of a 4 × 4 block of lanes, transposed in place. */
static inline __attribute__((always_inline)) void transpose4(f32x4 *r0, f32x4 *r1, f32x4 *r2, f32x4 *r3) {
  const f32x4 t0 = wasm_i32x4_shuffle(*r0, *r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(*r2, *r3, 0, 4, 1, 5);
  const f32x4 t2 = wasm_i32x4_shuffle(*r0, *r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(*r2, *r3, 2, 6, 3, 7);
  *r0 = wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5);
  *r1 = wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7);
  *r2 = wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5);
  *r3 = wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7);
}

/*
 * Builds the HWC patch: dst[(py·PW + px)·Cp + c] = src[c·chanStride + (py − top)·rowStride + (px − left)]
 * inside the copied window [top, top + rows) × [left, left + cols) and c < C;
 * zero elsewhere (the padding, and channels C…Cp−1 that pad a SIMD vector).
 * `len` floats are written in all (the patch plus its tail slack). Blocks of
 * 4 channels × 4 columns move as one 4 × 4 transpose; the edges one by one.
 */
EXPORT(conv2d_patch_hwc)
void conv2d_patch_hwc(const float *src, int32_t C, int32_t chanStride, int32_t rowStride, int32_t rows, int32_t cols,
                      float *dst, int32_t PW, int32_t Cp, int32_t top, int32_t left, int32_t len) {
  __builtin_memset(dst, 0, (uint32_t)len * sizeof(float));
  const int C4 = C & ~3, X4 = cols & ~3;
  for (int r = 0; r < rows; r++) {
    float *d = dst + ((int64_t)(top + r) * PW + left) * Cp;
    const float *s = src + (int64_t)r * rowStride;
    for (int c = 0; c < C4; c += 4) {
      const float *s0 = s + (int64_t)c * chanStride, *s1 = s0 + chanStride, *s2 = s1 + chanStride, *s3 = s2 + chanStride;
      int x = 0;
      for (; x < X4; x += 4) {
        f32x4 v0 = load4(s0 + x), v1 = load4(s1 + x), v2 = load4(s2 + x), v3 = load4(s3 + x);
        transpose4(&v0, &v1, &v2, &v3);
        float *dx = d + (int64_t)x * Cp + c;
        store4(dx, v0); store4(dx + Cp, v1); store4(dx + 2 * Cp, v2); store4(dx + 3 * Cp, v3);
      }
      for (; x < cols; x++) {
        float *dx = d + (int64_t)x * Cp + c;
        dx[0] = s0[x]; dx[1] = s1[x]; dx[2] = s2[x]; dx[3] = s3[x];
      }
    }
    for (int c = C4; c < C; c++) {
      const float *sc = s + (int64_t)c * chanStride;
      float *dc = d + c;
      for (int x = 0; x < cols; x++) dc[(int64_t)x * Cp] = sc[x];
    }
  }
}

/* Four channel rows (channels c…c+3, positions q…q+3 as lanes) through the epilogue into acc. */
static inline __attribute__((always_inline)) void store_rows(float *a, int32_t ldc, f32x4 r0, f32x4 r1, f32x4 r2, f32x4 r3, const Epilogue *ep, int c) {
  store4(a, epilogue(r0, ep, c));
  store4(a + ldc, epilogue(r1, ep, c + 1));
  store4(a + 2 * ldc, epilogue(r2, ep, c + 2));
  store4(a + 3 * ldc, epilogue(r3, ep, c + 3));
}

/* The first n (1…3) lanes of v. */
static inline __attribute__((always_inline)) void store_lanes(float *a, f32x4 v, int n) {
  wasm_v128_store32_lane(a, v, 0);
  if (n > 1) wasm_v128_store32_lane(a + 1, v, 1);
  if (n > 2) wasm_v128_store32_lane(a + 2, v, 2);
}

/*
 * store_rows for a tile at the edge: only channel rows c + i in [lo, hi) and
 * the first n positions are written, so the output can be the feature map
 * itself (nothing outside the region is touched).
 */
static inline __attribute__((always_inline)) void store_rows_edge(float *a, int32_t ldc, f32x4 r0, f32x4 r1, f32x4 r2, f32x4 r3, const Epilogue *ep, int c,
                                   int lo, int hi, int n) {
  const f32x4 r[4] = {r0, r1, r2, r3};
  for (int i = 0; i < 4; i++) {
    if (c + i < lo || c + i >= hi) continue;
    const f32x4 v = epilogue(r[i], ep, c + i);
    if (n >= 4) store4(a + (int64_t)i * ldc, v);
    else store_lanes(a + (int64_t)i * ldc, v, n);
  }
}

/* A tile of 4 channel rows at channel c, position p·4 of a row of `cols`: whole, or at an edge. */
static inline __attribute__((always_inline)) void store_tile(float *a, int32_t ldc, f32x4 r0, f32x4 r1, f32x4 r2, f32x4 r3, const Epilogue *ep, int c,
                              int lo, int hi, int p, int cols) {
  const int n = cols - p * 4;
  if (c >= lo && c + 4 <= hi && n >= 4) store_rows(a, ldc, r0, r1, r2, r3, ep, c);
  else store_rows_edge(a, ldc, r0, r1, r2, r3, ep, c, lo, hi, n);
}

/*
 * nb blocks of 8 output channels (weights w: per block [T][C][8]) over npos
 * output positions, 4 per tile: position q reads the patch at x + qoff[q]
 * (qoff is padded to whole tiles by repeating its last entry), so one call
 * covers several output rows with no tile wasted at each row's end. Output
 * (c = b·8 + i, q) goes to acc[c·ldc + q] for channels lo ≤ c < hi and
 * q < npos only: acc may be an NCHW feature map itself (positions of whole
 * rows are consecutive there; ldc its channel stride) or a buffer the caller
 * copies from.
 */
/* Native AVX2 / AVX-512 builds: wider tiles first, the same sums (conv2d_wide.h). */
#if !defined(__wasm__) && defined(__AVX2__)
#define TESSERA_WIDE 1
#include "conv2d_wide.h"
#endif

EXPORT(conv2d_tiles_8x4)
void conv2d_tiles_8x4(const float *w, const int32_t *toff, const float *x, int32_t T, int32_t C, const int32_t *qoff,
                      int32_t npos, int32_t nb, float *acc, int32_t ldc, int32_t lo, int32_t hi, const Epilogue *ep) {
  const int panels = (npos + 3) / 4;
#ifdef TESSERA_WIDE
  int b = conv2d_tiles_wide(w, toff, x, T, C, qoff, npos, nb, acc, ldc, lo, hi, ep);
#else
  int b = 0;
#endif
  for (; b < nb; b++) {
    const float *wb = w + (int64_t)b * T * C * 8;
    float *ab = acc + (int64_t)b * 8 * ldc;
    for (int p = 0; p < panels; p++) {
      const float *x0 = x + qoff[4 * p], *x1 = x + qoff[4 * p + 1], *x2 = x + qoff[4 * p + 2], *x3 = x + qoff[4 * p + 3];
      f32x4 a0l, a0h, a1l, a1h, a2l, a2h, a3l, a3h;
      a0l = a0h = a1l = a1h = a2l = a2h = a3l = a3h = splat(0.0f);
      const float *wk = wb;
      for (int t = 0; t < T; t++) {
        const int o = toff[t];
        const float *y0 = x0 + o, *y1 = x1 + o, *y2 = x2 + o, *y3 = x3 + o;
        for (int c = 0; c < C; c++, wk += 8) {
          const f32x4 wl = load4(wk), wh = load4(wk + 4);
          f32x4 xv = wasm_v128_load32_splat(y0 + c);
          a0l = madd(a0l, wl, xv); a0h = madd(a0h, wh, xv);
          xv = wasm_v128_load32_splat(y1 + c);
          a1l = madd(a1l, wl, xv); a1h = madd(a1h, wh, xv);
          xv = wasm_v128_load32_splat(y2 + c);
          a2l = madd(a2l, wl, xv); a2h = madd(a2h, wh, xv);
          xv = wasm_v128_load32_splat(y3 + c);
          a3l = madd(a3l, wl, xv); a3h = madd(a3h, wh, xv);
        }
      }
      transpose4(&a0l, &a1l, &a2l, &a3l);
      transpose4(&a0h, &a1h, &a2h, &a3h);
      float *a = ab + p * 4;
      store_tile(a, ldc, a0l, a1l, a2l, a3l, ep, b * 8, lo, hi, p, npos);
      store_tile(a + 4 * ldc, ldc, a0h, a1h, a2h, a3h, ep, b * 8 + 4, lo, hi, p, npos);
    }
  }
}

/*
 * Pointwise (1 × 1 window, stride 1, no padding, one group): an output
 * position reads the same position of every input channel, so positions
 * fill the SIMD lanes straight from the NCHW planes — no HWC patch, no
 * offset table, no transposes, which cost more than the sums themselves when
 * there are few input channels (3→16, 16→32 at 160²). Each output is
 * Σ_ci w[co][ci] · x[ci][q] from +0 in ci order (multiply, then add), then
 * the epilogue: the bits of the 8 × 4 tiles with one tap.
 *
 * Positions run along `rows` rows of `cols` (a region narrower than the map
 * has row strides; whole rows are passed as one long row). Tiles of 4
 * channels × 8 positions (native: wider ones first, conv2d_wide.h); a row's
 * last 1–3 positions are copied with zeros after them into `tail` (C × 4
 * floats) and run as one more tile whose extra lanes are not stored.
 */
typedef struct {
  MEMPTR(const float) src;   /* input channel ci, row r, position q at src[ci·srcChan + r·srcRow + q] */
  int32_t srcChan, srcRow;
  MEMPTR(float) dst;         /* output channel co, row r, position q at dst[co·dstChan + r·dstRow + q] */
  int32_t dstChan, dstRow;
  int32_t rows, cols;
  MEMPTR(const float) w;     /* w[co·C + ci] */
  int32_t C, cout;
  MEMPTR(float) tail;        /* scratch: C × 4 floats */
  MEMPTR(const Epilogue) ep; /* channel co of the call is epilogue channel co */
} PwCall;

_Static_assert(sizeof(PwCall) == 13 * 4, "PwCall is written field by field from TypeScript (conv2d/fast.ts)");

/* NC (1…4) channels from co × NV (1, 2) vectors of 4 positions; the last vector stores its first n lanes. */
static inline __attribute__((always_inline)) void pw_tile(const float *x, int64_t xc, const float *w, int C, int co, float *y, int64_t yc,
                                                         const Epilogue *ep, int NC, int NV, int n) {
  f32x4 acc[4][2];
  for (int c = 0; c < NC; c++) for (int v = 0; v < NV; v++) acc[c][v] = splat(0.0f);
  const float *wc = w + (int64_t)co * C;
  for (int ci = 0; ci < C; ci++) {
    f32x4 xv[2];
    for (int v = 0; v < NV; v++) xv[v] = load4(x + ci * xc + 4 * v);
    for (int c = 0; c < NC; c++) {
      const f32x4 wv = wasm_v128_load32_splat(wc + (int64_t)c * C + ci);
      for (int v = 0; v < NV; v++) acc[c][v] = madd(acc[c][v], wv, xv[v]);
    }
  }
  for (int c = 0; c < NC; c++) {
    float *yr = y + (co + c) * yc;
    for (int v = 0; v < NV; v++) {
      const f32x4 r = epilogue(acc[c][v], ep, co + c);
      if (v < NV - 1 || n >= 4) store4(yr + 4 * v, r);
      else store_lanes(yr + 4 * v, r, n);
    }
  }
}

/* Every channel of NV vectors of positions at x (the last one with n lanes stored). */
static inline __attribute__((always_inline)) void pw_positions(const float *x, int64_t xc, const float *w, int C, int cout, float *y, int64_t yc,
                                                              const Epilogue *ep, int NV, int n) {
  int co = 0;
  for (; co + 4 <= cout; co += 4) pw_tile(x, xc, w, C, co, y, yc, ep, 4, NV, n);
  for (; co < cout; co++) pw_tile(x, xc, w, C, co, y, yc, ep, 1, NV, n);
}

EXPORT(conv2d_pointwise)
void conv2d_pointwise(const PwCall *a) {
  const float *w = AT(const float, a->w);
  const Epilogue *ep = AT(const Epilogue, a->ep);
  const int C = a->C, cout = a->cout, cols = a->cols;
  float *tail = AT(float, a->tail);
  for (int r = 0; r < a->rows; r++) {
    const float *x = AT(const float, a->src) + (int64_t)r * a->srcRow;
    float *y = AT(float, a->dst) + (int64_t)r * a->dstRow;
#ifdef TESSERA_WIDE
    int q = pw_row_wide(x, a->srcChan, w, C, cout, y, a->dstChan, cols, ep);
#else
    int q = 0;
#endif
    for (; q + 8 <= cols; q += 8) pw_positions(x + q, a->srcChan, w, C, cout, y + q, a->dstChan, ep, 2, 4);
    for (; q + 4 <= cols; q += 4) pw_positions(x + q, a->srcChan, w, C, cout, y + q, a->dstChan, ep, 1, 4);
    if (q < cols) {
      const int n = cols - q;
      for (int ci = 0; ci < C; ci++) {
        const float *xs = x + (int64_t)ci * a->srcChan + q;
        float *t = tail + 4 * ci;
        for (int j = 0; j < 4; j++) t[j] = j < n ? xs[j] : 0.0f;
      }
      pw_positions(tail, 4, w, C, cout, y + q, a->dstChan, ep, 1, n);
    }
  }
}

/*
 * Depthwise, straight from NCHW planes: a depthwise output reads only its own
 * channel, so no HWC patch is needed (it would double the memory traffic of
 * an op that does 9 multiply-adds per output). Per channel, the window's
 * rows are copied into `work` between zero columns (split by column phase
 * when the horizontal stride is > 1, so that each tap of consecutive outputs
 * is one unaligned vector load), then outputs run 16, 4 or (at a row's end)
 * fewer at a time, each sum from +0 over taps (ky, kx) in order, then the
 * epilogue: the same arithmetic as every other conv2d path.
 */
typedef struct {
  MEMPTR(const float) src;   /* channel c, window row r, column x at src[c·srcChan + r·srcRow + x] (the real cells only) */
  int32_t srcChan, srcRow;
  int32_t rows, cols;        /* real cells of the window */
  int32_t top, left;         /* where they sit in the padded window */
  int32_t PH, PW;            /* the padded window */
  int32_t kh, kw, sh, sw, dh, dw;
  int32_t outRows, outCols;
  MEMPTR(float) dst;         /* output channel c, row j, column i at dst[c·dstChan + j·dstRow + i] */
  int32_t dstChan, dstRow;
  MEMPTR(const float) w;     /* channel c's taps at w[c·wStride + ky·kw + kx] */
  int32_t wStride;
  int32_t channels;
  MEMPTR(float) work;        /* PH rows of `pitch` floats, then kw tap offsets */
  MEMPTR(const Epilogue) ep; /* channel c of the call is epilogue channel c */
} DwCall;

_Static_assert(sizeof(DwCall) == 25 * 4, "DwCall is written field by field from TypeScript (conv2d/fast.ts)");

/*
 * The outputs of one channel from its padded window. Inlined twice: with
 * kh = kw = 3 as constants (the taps unrolled, the nine weights held in
 * registers across the row) and with the sizes at run time.
 */
static inline __attribute__((always_inline))
void dw_rows(const DwCall *a, const float *work, int pitch, const int32_t *off, const float *wc, float *out, int ch, int kh, int kw) {
  const Epilogue *ep = AT(const Epilogue, a->ep);
  const int outCols = a->outCols;
  const int64_t rowStep = (int64_t)a->dh * pitch;
  for (int j = 0; j < a->outRows; j++, out += a->dstRow) {
    const float *row = work + (int64_t)j * a->sh * pitch;
#ifdef TESSERA_WIDE
    int i = dw_row_wide(row, rowStep, off, wc, out, outCols, ep, ch, kh, kw);
#else
    int i = 0;
#endif
    for (; i + 8 <= outCols; i += 8) {
      f32x4 s0 = splat(0.0f), s1 = s0;
      for (int ky = 0; ky < kh; ky++) {
        const float *rk = row + ky * rowStep + i;
        for (int kx = 0; kx < kw; kx++) {
          const f32x4 wv = wasm_v128_load32_splat(wc + ky * kw + kx);
          const float *p = rk + off[kx];
          s0 = madd(s0, wv, load4(p)); s1 = madd(s1, wv, load4(p + 4));
        }
      }
      store4(out + i, epilogue(s0, ep, ch)); store4(out + i + 4, epilogue(s1, ep, ch));
    }
    for (; i < outCols; i += 4) {
      f32x4 s0 = splat(0.0f);
      for (int ky = 0; ky < kh; ky++) {
        const float *rk = row + ky * rowStep + i;
        for (int kx = 0; kx < kw; kx++) s0 = madd(s0, wasm_v128_load32_splat(wc + ky * kw + kx), load4(rk + off[kx]));
      }
      s0 = epilogue(s0, ep, ch);
      if (i + 4 <= outCols) store4(out + i, s0);
      else store_lanes(out + i, s0, outCols - i);
    }
  }
}

/* dw_rows for 3 × 3 windows: the nine weights live in registers for the whole channel, 8 outputs per step. */
static void dw3x3_rows(const DwCall *a, const float *work, int pitch, const int32_t *off, const float *wc, float *out, int ch) {
  const Epilogue *ep = AT(const Epilogue, a->ep);
  const int outCols = a->outCols;
  const int64_t rowStep = (int64_t)a->dh * pitch;
  const int o0 = off[0], o1 = off[1], o2 = off[2];
  const f32x4 w0 = splat(wc[0]), w1 = splat(wc[1]), w2 = splat(wc[2]), w3 = splat(wc[3]), w4 = splat(wc[4]);
  const f32x4 w5 = splat(wc[5]), w6 = splat(wc[6]), w7 = splat(wc[7]), w8 = splat(wc[8]);
  const int sh = a->sh;
  int j = 0;
  /* Two output rows at a time when they share input rows (stride 1, dilation 1): 12 loads for 8 outputs, not 18. */
  if (sh == 1 && rowStep == pitch) {
    for (; j + 2 <= a->outRows; j += 2, out += 2 * a->dstRow) {
      const float *r0 = work + (int64_t)j * pitch, *r1 = r0 + pitch, *r2 = r1 + pitch, *r3 = r2 + pitch;
      float *out1 = out + a->dstRow;
#ifdef TESSERA_WIDE
      int i = dw3x3_two_wide(r0, r1, r2, r3, o0, o1, o2, wc, out, out1, outCols, ep, ch);
#else
      int i = 0;
#endif
      for (; i < outCols; i += 4) {
        f32x4 s = splat(0.0f), t = s, v;
        v = load4(r0 + i + o0); s = madd(s, w0, v);
        v = load4(r0 + i + o1); s = madd(s, w1, v);
        v = load4(r0 + i + o2); s = madd(s, w2, v);
        v = load4(r1 + i + o0); s = madd(s, w3, v); t = madd(t, w0, v);
        v = load4(r1 + i + o1); s = madd(s, w4, v); t = madd(t, w1, v);
        v = load4(r1 + i + o2); s = madd(s, w5, v); t = madd(t, w2, v);
        v = load4(r2 + i + o0); s = madd(s, w6, v); t = madd(t, w3, v);
        v = load4(r2 + i + o1); s = madd(s, w7, v); t = madd(t, w4, v);
        v = load4(r2 + i + o2); s = madd(s, w8, v); t = madd(t, w5, v);
        v = load4(r3 + i + o0); t = madd(t, w6, v);
        v = load4(r3 + i + o1); t = madd(t, w7, v);
        v = load4(r3 + i + o2); t = madd(t, w8, v);
        s = epilogue(s, ep, ch);
        t = epilogue(t, ep, ch);
        if (i + 4 <= outCols) { store4(out + i, s); store4(out1 + i, t); }
        else { store_lanes(out + i, s, outCols - i); store_lanes(out1 + i, t, outCols - i); }
      }
    }
  }
  for (; j < a->outRows; j++, out += a->dstRow) {
    const float *r0 = work + (int64_t)j * sh * pitch, *r1 = r0 + rowStep, *r2 = r1 + rowStep;
#ifdef TESSERA_WIDE
    int i = dw3x3_one_wide(r0, r1, r2, o0, o1, o2, wc, out, outCols, ep, ch);
#else
    int i = 0;
#endif
    for (; i < outCols; i += 4) {
      f32x4 s = splat(0.0f);
      s = madd(s, w0, load4(r0 + i + o0)); s = madd(s, w1, load4(r0 + i + o1)); s = madd(s, w2, load4(r0 + i + o2));
      s = madd(s, w3, load4(r1 + i + o0)); s = madd(s, w4, load4(r1 + i + o1)); s = madd(s, w5, load4(r1 + i + o2));
      s = madd(s, w6, load4(r2 + i + o0)); s = madd(s, w7, load4(r2 + i + o1)); s = madd(s, w8, load4(r2 + i + o2));
      s = epilogue(s, ep, ch);
      if (i + 4 <= outCols) store4(out + i, s);
      else store_lanes(out + i, s, outCols - i);
    }
  }
}

/*
 * One window row into its phases: column x of `s` (cols real cells, the
 * first at padded column `left`) goes to phase (left + x) mod sw at index
 * (left + x) div sw, phases `phase` floats apart. Stride 2 (the common case)
 * splits 8 columns at a time into even and odd lanes; others walk each phase
 * with a step of sw (no division per cell).
 */
static inline __attribute__((always_inline)) void dw_split_row(float *d, const float *s, int cols, int left, int sw, int phase) {
  int x = 0;
  if (sw == 2) {
    float *ev = d + (left & 1) * phase + (left >> 1), *od = d + ((left + 1) & 1) * phase + ((left + 1) >> 1);
    for (; x + 8 <= cols; x += 8) {
      const f32x4 a = load4(s + x), b = load4(s + x + 4);
      store4(ev + x / 2, wasm_i32x4_shuffle(a, b, 0, 2, 4, 6));
      store4(od + x / 2, wasm_i32x4_shuffle(a, b, 1, 3, 5, 7));
    }
  }
  for (int k = x; k < x + sw && k < cols; k++) {
    const int px = left + k;
    float *dk = d + (px % sw) * phase + px / sw;
    for (int j = k; j < cols; j += sw) *dk++ = s[j];
  }
}

#ifdef TESSERA_WIDE
/*
 * Native, small maps (rows shorter than one vector, where the row loop
 * runs 4-lane vectors, some part empty): WL channels at a time with channels in the
 * lanes. The block's window becomes an HWC patch (conv2d_patch_hwc, Cp =
 * WL) in this thread's scratch; each output position sums its taps (ky, kx)
 * in order from +0 over WL channels at once; the sums are turned back to
 * channel rows by 4 × 4 transposes and go through each channel's epilogue —
 * every output the same arithmetic as the row loop. Detector's 5 × 5 at
 * 10² (384 channels) 0.185 → 0.145 ms one thread (noisy). Returns the
 * channels done (whole blocks of WL; 0 when there is no scratch).
 */
static int dw_channels_wide(const DwCall *a) {
  const int T = a->kh * a->kw, PH = a->PH, PW = a->PW, oR = a->outRows, oC = a->outCols, oC4 = (oC + 3) & ~3;
  const int blocks = a->channels / WL;
  if (blocks == 0) return 0;
  const int64_t patchLen = (int64_t)PH * PW * WL, sumsLen = (int64_t)oR * oC4 * WL;
  float *patch = (float *)tessera_scratch((unsigned long)(patchLen + sumsLen + (int64_t)T * WL + T) * sizeof(float));
  if (!patch) return 0;
  float *sums = patch + patchLen, *wt = sums + sumsLen;
  int32_t *toff = (int32_t *)(wt + (int64_t)T * WL);
  for (int ky = 0, t = 0; ky < a->kh; ky++)
    for (int kx = 0; kx < a->kw; kx++, t++) toff[t] = (ky * a->dh * PW + kx * a->dw) * WL;
  const Epilogue *ep = AT(const Epilogue, a->ep);
  const float *w = AT(const float, a->w);
  for (int b = 0; b < blocks; b++) {
    const int c0 = b * WL;
    conv2d_patch_hwc(AT(const float, a->src) + (int64_t)c0 * a->srcChan, WL, a->srcChan, a->srcRow, a->rows, a->cols,
                     patch, PW, WL, a->top, a->left, (int32_t)patchLen);
    for (int t = 0; t < T; t++)
      for (int l = 0; l < WL; l++) wt[t * WL + l] = w[(int64_t)(c0 + l) * a->wStride + t];
    /* Four positions at a time: four independent chains of dependent adds (one chain ran at the add's latency). */
    for (int j = 0; j < oR; j++) {
      const float *row = patch + (int64_t)j * a->sh * PW * WL;
      for (int i = 0; i < oC4; i += 4) {
        const float *p[4];
        for (int k = 0; k < 4; k++) p[k] = row + (int64_t)(i + k < oC ? i + k : oC - 1) * a->sw * WL;
        wvec s0 = wsplat(0.0f), s1 = s0, s2 = s0, s3 = s0;
        for (int t = 0; t < T; t++) {
          const wvec wv = wload(wt + t * WL);
          const int o = toff[t];
          s0 = wmadd(s0, wv, wload(p[0] + o)); s1 = wmadd(s1, wv, wload(p[1] + o));
          s2 = wmadd(s2, wv, wload(p[2] + o)); s3 = wmadd(s3, wv, wload(p[3] + o));
        }
        float *q = sums + ((int64_t)j * oC4 + i) * WL;
        memcpy(q, &s0, sizeof s0); memcpy(q + WL, &s1, sizeof s1); memcpy(q + 2 * WL, &s2, sizeof s2); memcpy(q + 3 * WL, &s3, sizeof s3);
      }
    }
    for (int j = 0; j < oR; j++) {
      for (int i = 0; i < oC; i += 4) {
        const float *q = sums + ((int64_t)j * oC4 + i) * WL;
        for (int c = 0; c < WL; c += 4) {
          f32x4 r0 = load4(q + c), r1 = load4(q + WL + c), r2 = load4(q + 2 * WL + c), r3 = load4(q + 3 * WL + c);
          transpose4(&r0, &r1, &r2, &r3);
          const f32x4 r[4] = {r0, r1, r2, r3};
          for (int k = 0; k < 4; k++) {
            float *o = AT(float, a->dst) + (int64_t)(c0 + c + k) * a->dstChan + (int64_t)j * a->dstRow + i;
            const f32x4 v = epilogue(r[k], ep, c0 + c + k);
            if (i + 4 <= oC) store4(o, v);
            else store_lanes(o, v, oC - i);
          }
        }
      }
    }
  }
  return blocks * WL;
}
#endif

EXPORT(conv2d_depthwise)
void conv2d_depthwise(const DwCall *a) {
  const int sw = a->sw, PW = a->PW, PWs = (PW + sw - 1) / sw;
  const int pitch = sw * (PWs + 16);          /* each phase 16 floats longer: the last vector loads stay in the row */
  const int phase = PWs + 16;
  float *work = AT(float, a->work);
  int32_t *off = (int32_t *)(work + (int64_t)a->PH * pitch);
  for (int kx = 0; kx < a->kw; kx++) {
    const int c = kx * a->dw;
    off[kx] = (c % sw) * phase + c / sw;
  }
  const int kh = a->kh, kw = a->kw;
  /* The padded window: zeros once; every channel then overwrites the same real cells. */
  __builtin_memset(work, 0, (uint32_t)a->PH * pitch * sizeof(float));
#ifdef TESSERA_WIDE
  const int first = a->outCols < WL ? dw_channels_wide(a) : 0;
#else
  const int first = 0;
#endif
  for (int ch = first; ch < a->channels; ch++) {
    const float *plane = AT(const float, a->src) + (int64_t)ch * a->srcChan;
    for (int r = 0; r < a->rows; r++) {
      const float *s = plane + (int64_t)r * a->srcRow;
      float *d = work + (int64_t)(a->top + r) * pitch;
      if (sw == 1) __builtin_memcpy(d + a->left, s, (uint32_t)a->cols * sizeof(float));
      else dw_split_row(d, s, a->cols, a->left, sw, phase);
    }
    const float *wc = AT(const float, a->w) + (int64_t)ch * a->wStride;
    float *out = AT(float, a->dst) + (int64_t)ch * a->dstChan;
    if (kh == 3 && kw == 3) dw3x3_rows(a, work, pitch, off, wc, out, ch);
    else dw_rows(a, work, pitch, off, wc, out, ch, kh, kw);
  }
}
