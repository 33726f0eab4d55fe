/*
 * conv2d register tiles: MR output channels × NR output positions per tile,
 * read straight from a zero-padded float32 copy of the input (the "patch")
 * through a table of tap offsets, so no im2col matrix is built.
 *
 *   s = Σ_{k=0..K-1} w[(b·K + k)·MR + i] · x[q + off[k]]      (float32, k in order)
 *   acc[(b·MR + i)·ldc + q] = epilogue(s)                      (conv2d's bias, scale/shift, activation)
 *
 * Loop order, which fixes the bits: each sum starts at +0 and adds one
 * product per tap in k order (multiply, then add); a call may cover taps
 * [k0, k0 + kc) only, the partial sums then wait in `acc` as float32 — which
 * changes nothing, since every addition is rounded to float32 anyway.
 *
 * 4 × 8 (4 channels, two f32x4 of positions: 8 accumulators) is the general
 * tile; 1 × 16 serves groups with fewer than 4 output channels (depthwise).
 * V8 gives wasm 16 xmm registers on x86: larger tiles spill.
 */
#include "engine.h"

EXPORT(conv2d_tiles_4x8)
void conv2d_tiles_4x8(const float *w, const int32_t *off, const float *x, int32_t K, int32_t k0, int32_t kc,
                      int32_t nb, int32_t panels, float *acc, int32_t ldc, const Epilogue *ep) {
  const int more = k0 > 0, last = k0 + kc == K;
  for (int b = 0; b < nb; b++) {
    const float *wb = w + ((int64_t)b * K + k0) * 4;
    float *ab = acc + (int64_t)b * 4 * ldc;
    for (int p = 0; p < panels; p++) {
      const float *xp = x + p * 8;
      float *a0 = ab + p * 8, *a1 = a0 + ldc, *a2 = a1 + ldc, *a3 = a2 + ldc;
      f32x4 c00, c01, c10, c11, c20, c21, c30, c31;
      if (more) {
        c00 = load4(a0); c01 = load4(a0 + 4); c10 = load4(a1); c11 = load4(a1 + 4);
        c20 = load4(a2); c21 = load4(a2 + 4); c30 = load4(a3); c31 = load4(a3 + 4);
      } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = splat(0.0f);
      }
      const float *wk = wb;
      const int32_t *ok = off + k0;
      for (int k = 0; k < kc; k++, wk += 4) {
        const float *xk = xp + ok[k];
        const f32x4 x0 = load4(xk), x1 = load4(xk + 4);
        f32x4 wv = wasm_v128_load32_splat(wk);
        c00 = madd(c00, wv, x0); c01 = madd(c01, wv, x1);
        wv = wasm_v128_load32_splat(wk + 1);
        c10 = madd(c10, wv, x0); c11 = madd(c11, wv, x1);
        wv = wasm_v128_load32_splat(wk + 2);
        c20 = madd(c20, wv, x0); c21 = madd(c21, wv, x1);
        wv = wasm_v128_load32_splat(wk + 3);
        c30 = madd(c30, wv, x0); c31 = madd(c31, wv, x1);
      }
      if (last) {
        const int c = b * 4;
        c00 = epilogue(c00, ep, c); c01 = epilogue(c01, ep, c);
        c10 = epilogue(c10, ep, c + 1); c11 = epilogue(c11, ep, c + 1);
        c20 = epilogue(c20, ep, c + 2); c21 = epilogue(c21, ep, c + 2);
        c30 = epilogue(c30, ep, c + 3); c31 = epilogue(c31, ep, c + 3);
      }
      store4(a0, c00); store4(a0 + 4, c01); store4(a1, c10); store4(a1 + 4, c11);
      store4(a2, c20); store4(a2 + 4, c21); store4(a3, c30); store4(a3 + 4, c31);
    }
  }
}

EXPORT(conv2d_tiles_1x16)
void conv2d_tiles_1x16(const float *w, const int32_t *off, const float *x, int32_t K, int32_t k0, int32_t kc,
                       int32_t nb, int32_t panels, float *acc, int32_t ldc, const Epilogue *ep) {
  const int more = k0 > 0, last = k0 + kc == K;
  for (int b = 0; b < nb; b++) {
    const float *wb = w + (int64_t)b * K + k0;
    float *ab = acc + (int64_t)b * ldc;
    for (int p = 0; p < panels; p++) {
      const float *xp = x + p * 16;
      float *a = ab + p * 16;
      f32x4 c0, c1, c2, c3;
      if (more) {
        c0 = load4(a); c1 = load4(a + 4); c2 = load4(a + 8); c3 = load4(a + 12);
      } else {
        c0 = c1 = c2 = c3 = splat(0.0f);
      }
      const int32_t *ok = off + k0;
      for (int k = 0; k < kc; k++) {
        const float *xk = xp + ok[k];
        const f32x4 wv = wasm_v128_load32_splat(wb + k);
        c0 = madd(c0, wv, load4(xk)); c1 = madd(c1, wv, load4(xk + 4));
        c2 = madd(c2, wv, load4(xk + 8)); c3 = madd(c3, wv, load4(xk + 12));
      }
      if (last) {
        c0 = epilogue(c0, ep, b); c1 = epilogue(c1, ep, b);
        c2 = epilogue(c2, ep, b); c3 = epilogue(c3, ep, b);
      }
      store4(a, c0); store4(a + 4, c1); store4(a + 8, c2); store4(a + 12, c3);
    }
  }
}
