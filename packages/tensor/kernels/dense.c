/*
 * dense (fully connected): rows of x times weights packed in panels of 16
 * output features, then the fused epilogue.
 *
 *   w: panels × [K][16] floats (feature p·16 + i of panel p in lane i, zero past F)
 *   x: rows × ldx floats, one gathered input row each (k in flatten order)
 *   s = Σ_{k=0..K-1} x[r·ldx + k] · w[(p·K + k)·16 + i]      (float32, k in order)
 *   y[r·ldy + p·16 + i] = epilogue(s)                          (bias, scale/shift, activation of column p·16 + i)
 *
 * Loop order: panel, then blocks of KC taps, then pairs of rows. A block of
 * one panel (KC · 64 bytes) stays in L1 while every row pair reads it, so a
 * batch streams the weights from memory once; for one row the kernel is a
 * single sequential pass over the packed matrix (memory-bound).
 * Which fixes the bits: each sum starts at +0 and adds one product per k in
 * order (multiply, then add); between blocks the partial sums wait in y as
 * float32, which changes nothing since every addition rounds to float32
 * anyway. Rows and panels never mix, so the result of an element does not
 * depend on how many rows or panels the call covers.
 *
 * Tiles: 2 rows × 16 features (8 accumulators + 4 weight vectors fit V8's 16
 * xmm registers on x86), 1 × 16 for an odd last row.
 */
#include "engine.h"

/* Taps per block: 256 · 64 bytes = 16 KiB of one panel, kept in L1 across the rows. */
#define KC 256

/* The epilogue of four adjacent output features c … c+3 (engine.h's epilogue, one channel per lane). */
static inline f32x4 epilogue4(f32x4 v, const Epilogue *ep, int c) {
  v = wasm_f32x4_add(v, load4(AT(const float, ep->bias) + c));
  if (ep->scale) v = wasm_f32x4_add(wasm_f32x4_mul(v, load4(AT(const float, ep->scale) + c)), load4(AT(const float, ep->shift) + c));
  v = activate(v, ep);
  if (ep->post_scale) v = wasm_f32x4_add(wasm_f32x4_mul(v, load4(AT(const float, ep->post_scale) + c)), load4(AT(const float, ep->post_shift) + c));
  return v;
}

/* Native AVX2 / AVX-512 builds: whole panels in 16-lane vectors, four panels at a time (dense_wide.h). */
#if !defined(__wasm__) && defined(__AVX2__)
#include "dense_wide.h"
#endif

EXPORT(dense_rows)
void dense_rows(const float *w, const float *x, int32_t K, int32_t ldx, int32_t rows, int32_t panels,
                float *y, int32_t ldy, const Epilogue *ep) {
#if !defined(__wasm__) && defined(__AVX2__)
  dense_rows_wide(w, x, K, ldx, rows, panels, y, ldy, ep);
  return;
#endif
  for (int p = 0; p < panels; p++) {
    const float *wp = w + (int64_t)p * K * 16;
    const int c = p * 16;
    for (int k0 = 0; k0 < K; k0 += KC) {
      const int kc = K - k0 < KC ? K - k0 : KC;
      const int more = k0 > 0, last = k0 + kc == K;
      const float *wb = wp + (int64_t)k0 * 16;
      int r = 0;
      for (; r + 2 <= rows; r += 2) {
        const float *x0 = x + (int64_t)r * ldx + k0, *x1 = x0 + ldx;
        float *y0 = y + (int64_t)r * ldy + c, *y1 = y0 + ldy;
        f32x4 a0, a1, a2, a3, b0, b1, b2, b3;
        if (more) {
          a0 = load4(y0); a1 = load4(y0 + 4); a2 = load4(y0 + 8); a3 = load4(y0 + 12);
          b0 = load4(y1); b1 = load4(y1 + 4); b2 = load4(y1 + 8); b3 = load4(y1 + 12);
        } else {
          a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = splat(0.0f);
        }
        const float *wk = wb;
        for (int k = 0; k < kc; k++, wk += 16) {
          const f32x4 w0 = load4(wk), w1 = load4(wk + 4), w2 = load4(wk + 8), w3 = load4(wk + 12);
          f32x4 xv = wasm_v128_load32_splat(x0 + k);
          a0 = madd(a0, xv, w0); a1 = madd(a1, xv, w1); a2 = madd(a2, xv, w2); a3 = madd(a3, xv, w3);
          xv = wasm_v128_load32_splat(x1 + k);
          b0 = madd(b0, xv, w0); b1 = madd(b1, xv, w1); b2 = madd(b2, xv, w2); b3 = madd(b3, xv, w3);
        }
        if (last) {
          a0 = epilogue4(a0, ep, c); a1 = epilogue4(a1, ep, c + 4); a2 = epilogue4(a2, ep, c + 8); a3 = epilogue4(a3, ep, c + 12);
          b0 = epilogue4(b0, ep, c); b1 = epilogue4(b1, ep, c + 4); b2 = epilogue4(b2, ep, c + 8); b3 = epilogue4(b3, ep, c + 12);
        }
        store4(y0, a0); store4(y0 + 4, a1); store4(y0 + 8, a2); store4(y0 + 12, a3);
        store4(y1, b0); store4(y1 + 4, b1); store4(y1 + 8, b2); store4(y1 + 12, b3);
      }
      if (r < rows) {
        const float *x0 = x + (int64_t)r * ldx + k0;
        float *y0 = y + (int64_t)r * ldy + c;
        f32x4 a0, a1, a2, a3;
        if (more) {
          a0 = load4(y0); a1 = load4(y0 + 4); a2 = load4(y0 + 8); a3 = load4(y0 + 12);
        } else {
          a0 = a1 = a2 = a3 = splat(0.0f);
        }
        const float *wk = wb;
        for (int k = 0; k < kc; k++, wk += 16) {
          const f32x4 xv = wasm_v128_load32_splat(x0 + k);
          a0 = madd(a0, xv, load4(wk)); a1 = madd(a1, xv, load4(wk + 4));
          a2 = madd(a2, xv, load4(wk + 8)); a3 = madd(a3, xv, load4(wk + 12));
        }
        if (last) {
          a0 = epilogue4(a0, ep, c); a1 = epilogue4(a1, ep, c + 4); a2 = epilogue4(a2, ep, c + 8); a3 = epilogue4(a3, ep, c + 12);
        }
        store4(y0, a0); store4(y0 + 4, a1); store4(y0 + 8, a2); store4(y0 + 12, a3);
      }
    }
  }
}
