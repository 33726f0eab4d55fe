/*
 * dense_rows for native builds with AVX2 or AVX-512 (included by dense.c; not
 * part of the WebAssembly build): a whole 16-feature panel in one 16-lane
 * vector (one zmm, or two ymm), and four panels at a time so that four
 * independent sums hide the add latency.
 *
 * The same arithmetic as dense.c's loop: each output sums its K products in
 * k order from +0 (multiply, then add; `fma` builds fuse them), partial sums
 * wait in y between blocks of KC taps, then dense.c's epilogue4 per 4
 * features — so `exact` equals the wasm engine bit for bit. Only the order in
 * which independent outputs are computed changes.
 */
#ifndef TESSERA_DENSE_WIDE_H
#define TESSERA_DENSE_WIDE_H

typedef float dv16 __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) dv16 dload(const float *p) { dv16 v; memcpy(&v, p, 64); return v; }
static inline __attribute__((always_inline)) void dstore(float *p, dv16 v) { memcpy(p, &v, 64); }
static inline __attribute__((always_inline)) dv16 dsplat(float v) { return (dv16){v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v}; }

static inline __attribute__((always_inline)) dv16 dmadd(dv16 acc, dv16 x, dv16 w) {
#if defined(TESSERA_FMA) && defined(__AVX512F__)
  return (dv16)_mm512_fmadd_ps((__m512)x, (__m512)w, (__m512)acc);
#elif defined(TESSERA_FMA)
  typedef float h8 __attribute__((vector_size(32)));
  const h8 lo = (h8)_mm256_fmadd_ps((__m256)__builtin_shufflevector(x, x, 0, 1, 2, 3, 4, 5, 6, 7), (__m256)__builtin_shufflevector(w, w, 0, 1, 2, 3, 4, 5, 6, 7),
                                    (__m256)__builtin_shufflevector(acc, acc, 0, 1, 2, 3, 4, 5, 6, 7));
  const h8 hi = (h8)_mm256_fmadd_ps((__m256)__builtin_shufflevector(x, x, 8, 9, 10, 11, 12, 13, 14, 15), (__m256)__builtin_shufflevector(w, w, 8, 9, 10, 11, 12, 13, 14, 15),
                                    (__m256)__builtin_shufflevector(acc, acc, 8, 9, 10, 11, 12, 13, 14, 15));
  return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#else
  return acc + x * w;
#endif
}

/* One sum vector out: the partial sum as it is, or (last block) through the epilogue, 4 features at a time. */
static inline __attribute__((always_inline)) void dense_out(float *y, dv16 s, int last, const Epilogue *ep, int c) {
  dstore(y, s);
  if (last) {
    for (int i = 0; i < 16; i += 4) store4(y + i, epilogue4(load4(y + i), ep, c + i));
  }
}

/*
 * R rows × NP panels: panel p0 + j of rows r0 … r0 + R − 1, taps [k0, k0 + kc).
 * A macro, so that the accumulators are registers.
 */
#define DENSE_TILE(R, NP)                                                                                              \
  static __attribute__((noinline)) void dense_tile_##R##_##NP(const float *w, const float *x, int K, int ldx, int r0,  \
      int p0, float *y, int ldy, const Epilogue *ep, int k0, int kc) {                                                 \
    const int more = k0 > 0, last = k0 + kc == K;                                                                     \
    dv16 s[R][NP];                                                                                                     \
    const float *wp[NP];                                                                                               \
    for (int j = 0; j < NP; j++) wp[j] = w + ((int64_t)(p0 + j) * K + k0) * 16;                                       \
    for (int r = 0; r < R; r++)                                                                                        \
      for (int j = 0; j < NP; j++) s[r][j] = more ? dload(y + (int64_t)(r0 + r) * ldy + (p0 + j) * 16) : dsplat(0.0f); \
    const float *xr = x + (int64_t)r0 * ldx + k0;                                                                      \
    for (int k = 0; k < kc; k++) {                                                                                     \
      dv16 wv[NP];                                                                                                     \
      for (int j = 0; j < NP; j++) wv[j] = dload(wp[j] + k * 16);                                                      \
      for (int r = 0; r < R; r++) {                                                                                    \
        const dv16 xv = dsplat(xr[(int64_t)r * ldx + k]);                                                              \
        for (int j = 0; j < NP; j++) s[r][j] = dmadd(s[r][j], xv, wv[j]);                                              \
      }                                                                                                                \
    }                                                                                                                  \
    for (int r = 0; r < R; r++)                                                                                        \
      for (int j = 0; j < NP; j++) dense_out(y + (int64_t)(r0 + r) * ldy + (p0 + j) * 16, s[r][j], last, ep, (p0 + j) * 16); \
  }
DENSE_TILE(2, 4)
DENSE_TILE(1, 4)
DENSE_TILE(2, 1)
DENSE_TILE(1, 1)

static void dense_rows_wide(const float *w, const float *x, int32_t K, int32_t ldx, int32_t rows, int32_t panels,
                            float *y, int32_t ldy, const Epilogue *ep) {
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = K - k0 < KC ? K - k0 : KC;
    int p = 0;
    for (; p + 4 <= panels; p += 4) {
      int r = 0;
      for (; r + 2 <= rows; r += 2) dense_tile_2_4(w, x, K, ldx, r, p, y, ldy, ep, k0, kc);
      if (r < rows) dense_tile_1_4(w, x, K, ldx, r, p, y, ldy, ep, k0, kc);
    }
    for (; p < panels; p++) {
      int r = 0;
      for (; r + 2 <= rows; r += 2) dense_tile_2_1(w, x, K, ldx, r, p, y, ldy, ep, k0, kc);
      if (r < rows) dense_tile_1_1(w, x, K, ldx, r, p, y, ldy, ep, k0, kc);
    }
  }
}

#endif
