/*
 * conv2d_tiles_8x4's wider register tiles for native builds with AVX2 or
 * AVX-512 (included by conv2d.c; not part of the WebAssembly build).
 *
 * The same sums as the 8 × 4 tile: each output (channel, position) starts at
 * +0 and adds w·x one product at a time in (tap, input channel) order, then
 * the same epilogue code — so every bit equals the wasm engine's in `exact`
 * mode, and in `fma` mode equals every other fma path. Only the shape of the
 * tile changes: VPT vectors of WL output channels (lanes) × P positions, all
 * accumulators in registers (AVX-512: 2 × 16 channels × 8 positions = 16 of
 * the 32 zmm registers). The packed weights stay in 8-channel blocks
 * ([block][T][C][8]); a 16-lane vector joins two blocks.
 *
 * After the sums, the tile goes through a small buffer and 4 × 4 transposes
 * to conv2d.c's store_tile, which applies the epilogue and writes only the
 * region's channels and positions.
 */
#ifndef TESSERA_CONV2D_WIDE_H
#define TESSERA_CONV2D_WIDE_H

#if defined(__AVX512F__)
#define WL 16
typedef float wvec __attribute__((vector_size(64)));
#else
#define WL 8
typedef float wvec __attribute__((vector_size(32)));
#endif

/* WL consecutive floats (channels of one tap and input channel). */
static inline __attribute__((always_inline)) wvec wload(const float *p) { wvec v; memcpy(&v, p, sizeof v); return v; }

/* This thread's scratch block of at least `bytes` (64-byte aligned; the addon frees it when the thread ends), or NULL. */
void *tessera_scratch(unsigned long bytes);

static inline __attribute__((always_inline)) wvec wsplat(float v) {
#if WL == 16
  return (wvec){v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v};
#else
  return (wvec){v, v, v, v, v, v, v, v};
#endif
}

static inline __attribute__((always_inline)) wvec wmadd(wvec acc, wvec a, wvec b) {
#if defined(TESSERA_FMA) && WL == 16
  return (wvec)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)acc);
#elif defined(TESSERA_FMA)
  return (wvec)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)acc);
#else
  return acc + a * b;
#endif
}

/* AVX-512: one vector from two 8-channel blocks (AVX2's vector is one block: only `lo`). */
static inline __attribute__((always_inline)) wvec wjoin(const float *lo, const float *hi) {
#if WL == 16
  return (wvec)_mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(lo)), _mm256_loadu_ps(hi), 1);
#else
  (void)hi;
  return wload(lo);
#endif
}

/*
 * engine.h's epilogue on WL lanes of one channel: the same float32 steps
 * lane by lane, and the activations' exact WebAssembly semantics (simd_native.h:
 * V8's max/min sequences, pmax/pmin as maxps/minps with swapped operands) on
 * 256/512-bit vectors instead of four 128-bit passes.
 */
#if WL == 16
typedef int32_t wivec __attribute__((vector_size(64)));
typedef uint32_t wuvec __attribute__((vector_size(64)));
static inline __attribute__((always_inline)) wvec wmaxps(wvec a, wvec b) { return (wvec)_mm512_max_ps((__m512)a, (__m512)b); }
static inline __attribute__((always_inline)) wvec wminps(wvec a, wvec b) { return (wvec)_mm512_min_ps((__m512)a, (__m512)b); }
#else
typedef int32_t wivec __attribute__((vector_size(32)));
typedef uint32_t wuvec __attribute__((vector_size(32)));
static inline __attribute__((always_inline)) wvec wmaxps(wvec a, wvec b) { return (wvec)_mm256_max_ps((__m256)a, (__m256)b); }
static inline __attribute__((always_inline)) wvec wminps(wvec a, wvec b) { return (wvec)_mm256_min_ps((__m256)a, (__m256)b); }
#endif
static inline __attribute__((always_inline)) wivec wunord(wvec a, wvec b) { return (wivec)((a != a) | (b != b)); }

/* wasm f32x4.max (V8's F32x4Max, as simd_native.h) on WL lanes. */
static inline __attribute__((always_inline)) wvec wmax_wasm(wvec lhs, wvec rhs) {
  wivec scratch = (wivec)wmaxps(lhs, rhs), dst = (wivec)wmaxps(rhs, lhs);
  dst = dst ^ scratch;
  scratch = scratch | dst;
  scratch = (wivec)((wvec)scratch - (wvec)dst);
  dst = wunord((wvec)dst, (wvec)scratch);
  dst = (wivec)((wuvec)dst >> 10);
  return (wvec)(scratch & ~dst);
}

/* wasm f32x4.min (V8's F32x4Min) on WL lanes. */
static inline __attribute__((always_inline)) wvec wmin_wasm(wvec lhs, wvec rhs) {
  wivec scratch = (wivec)wminps(lhs, rhs), dst = (wivec)wminps(rhs, lhs);
  scratch = scratch | dst;
  dst = wunord((wvec)dst, (wvec)scratch);
  scratch = scratch | dst;
  dst = (wivec)((wuvec)dst >> 10);
  return (wvec)(scratch & ~dst);
}

static inline __attribute__((always_inline)) wvec wactivate(wvec v, const Epilogue *ep) {
  switch (ep->act) {
    case ACT_RELU: return wmax_wasm(v, wsplat(0.0f));
    case ACT_RELU6: return wmin_wasm(wmax_wasm(v, wsplat(0.0f)), wsplat(6.0f));
    case ACT_LEAKY: {
      const wivec neg = (wivec)v >> 31;
      return (wvec)(((wivec)(v * wsplat(ep->alpha)) & neg) | ((wivec)v & ~neg));
    }
    case ACT_HARD_SIGMOID:
    case ACT_HARD_SWISH: {
      const wvec t = wsplat(ep->alpha) * v + wsplat(ep->beta);
      const wvec h = wminps(wsplat(1.0f), wmaxps(wsplat(0.0f), t)); /* pmin(pmax(t, 0), 1) */
      return ep->act == ACT_HARD_SWISH ? v * h : h;
    }
    default: return v;
  }
}

/* The epilogue of channel c on all lanes (a row of one channel's outputs). */
static inline __attribute__((always_inline)) wvec wepilogue(wvec v, const Epilogue *ep, int c) {
  v = v + wsplat(AT(const float, ep->bias)[c]);
  if (ep->scale) v = v * wsplat(AT(const float, ep->scale)[c]) + wsplat(AT(const float, ep->shift)[c]);
  v = wactivate(v, ep);
  if (ep->post_scale) v = v * wsplat(AT(const float, ep->post_scale)[c]) + wsplat(AT(const float, ep->post_shift)[c]);
  return v;
}

/*
 * The epilogue of channels c0 … c0 + WL − 1, one per lane (a tile's sums
 * before they are transposed). The per-channel vectors may be read past the
 * call's last channel (they lie in the call's scratch): those lanes are never stored.
 */
static inline __attribute__((always_inline)) wvec wepilogue_lanes(wvec v, const Epilogue *ep, int c0) {
  v = v + wload(AT(const float, ep->bias) + c0);
  if (ep->scale) v = v * wload(AT(const float, ep->scale) + c0) + wload(AT(const float, ep->shift) + c0);
  v = wactivate(v, ep);
  if (ep->post_scale) v = v * wload(AT(const float, ep->post_scale) + c0) + wload(AT(const float, ep->post_shift) + c0);
  return v;
}

/* store_tile (conv2d.c) for rows that went through the epilogue already. */
static inline __attribute__((always_inline)) void store_tile_done(float *a, int32_t ldc, f32x4 r0, f32x4 r1, f32x4 r2, f32x4 r3, int c,
                                                                 int lo, int hi, int p, int cols) {
  const int n = cols - p * 4;
  const f32x4 r[4] = {r0, r1, r2, r3};
  for (int i = 0; i < 4; i++) {
    if (c + i < lo || c + i >= hi) continue;
    if (n >= 4) store4(a + (int64_t)i * ldc, r[i]);
    else store_lanes(a + (int64_t)i * ldc, r[i], n);
  }
}

/*
 * One tile: VPT·WL channels (the blocks from wb, `bs` floats apart) × P
 * positions (patch offsets q[0..P)), stored into acc rows [cb, cb + VPT·WL)
 * at positions q0 … q0 + P − 1 (only those < npos, channels in [lo, hi)).
 * A macro, so that VPT and P are constants and the accumulators registers.
 * PACK (the first tile of a group): the weight vectors come from the packed
 * 8-channel blocks at src (`sbs` floats apart), joined in registers, and are
 * written to wb as they are used — the interleaving pass folded into a tile
 * that reads those weights anyway.
 */
#define WIDE_TILE_FN(NAME, VPT, P, PACK)                                                                               \
  static __attribute__((noinline)) void NAME(                                                                          \
      const float *wb, int64_t vs, int step, const int32_t *toff, const float *x, int T, int C, const int32_t *q, int q0, \
      int npos, float *acc, int32_t ldc, int cb, int lo, int hi, const Epilogue *ep, const float *src, int64_t sbs) {  \
    wvec s[P][VPT];                                                                                                    \
    const float *ys[P];                                                                                                \
    for (int p = 0; p < P; p++) {                                                                                      \
      ys[p] = x + q[p];                                                                                                \
      for (int v = 0; v < VPT; v++) s[p][v] = wsplat(0.0f);                                                            \
    }                                                                                                                  \
    const float *wk = wb, *sk = src;                                                                                   \
    (void)sbs;                                                                                                         \
    for (int t = 0; t < T; t++) {                                                                                      \
      const int o = toff[t];                                                                                           \
      for (int c = 0; c < C; c++, wk += step, sk += 8) {                                                               \
        wvec wv[VPT];                                                                                                  \
        if (PACK)                                                                                                      \
          for (int v = 0; v < VPT; v++) {                                                                              \
            wv[v] = wjoin(sk + 2 * v * sbs, sk + (2 * v + 1) * sbs);                                                   \
            memcpy((float *)wk + v * vs, &wv[v], sizeof(wvec));                                                        \
          }                                                                                                            \
        else                                                                                                           \
          for (int v = 0; v < VPT; v++) wv[v] = wload(wk + v * vs);                                                    \
        for (int p = 0; p < P; p++) {                                                                                  \
          const wvec xv = wsplat(ys[p][o + c]);                                                                        \
          for (int v = 0; v < VPT; v++) s[p][v] = wmadd(s[p][v], wv[v], xv);                                           \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
    float buf[P][VPT * WL] __attribute__((aligned(64)));                                                               \
    for (int p = 0; p < P; p++)                                                                                        \
      for (int v = 0; v < VPT; v++) {                                                                                  \
        const wvec e = wepilogue_lanes(s[p][v], ep, cb + v * WL);                                                      \
        memcpy(&buf[p][v * WL], &e, sizeof(wvec));                                                                     \
      }                                                                                                                \
    for (int g = 0; g < P / 4; g++) {                                                                                  \
      const int qg = q0 + 4 * g;                                                                                       \
      for (int i = 0; i < VPT * WL; i += 4) {                                                                          \
        f32x4 r0 = load4(&buf[4 * g][i]), r1 = load4(&buf[4 * g + 1][i]);                                              \
        f32x4 r2 = load4(&buf[4 * g + 2][i]), r3 = load4(&buf[4 * g + 3][i]);                                          \
        transpose4(&r0, &r1, &r2, &r3);                                                                                \
        store_tile_done(acc + (int64_t)(cb + i) * ldc + qg, ldc, r0, r1, r2, r3, cb + i, lo, hi, qg / 4, npos);        \
      }                                                                                                                \
    }                                                                                                                  \
  }
#define WIDE_TILE(VPT, P) WIDE_TILE_FN(wide_tile_##VPT##_##P, VPT, P, 0)
#define WIDE_PACK_TILE(VPT, P) WIDE_TILE_FN(wide_pack_tile_##VPT##_##P, VPT, P, 1)
WIDE_TILE(2, 12) /* AVX-512 only (24 of 32 registers); AVX2 has 16 */
WIDE_TILE(1, 12)
#if WL == 16 && !defined(TESSERA_FMA)
WIDE_TILE(4, 4) /* AVX-512 exact: see conv2d_tiles_wide */
WIDE_PACK_TILE(4, 4)
#endif
WIDE_TILE(2, 8)
WIDE_TILE(2, 4)
WIDE_TILE(1, 8)
WIDE_TILE(1, 4)
#if WL == 16
WIDE_PACK_TILE(2, 4)
WIDE_PACK_TILE(1, 4)
#endif

/* Positions of one channel group from panel p0: P = 8 while two whole panels remain, then the last panel with P = 4. */
#define WIDE_GROUP(VPT)                                                                                                \
  static void wide_group_##VPT(const float *wb, int64_t vs, int step, const int32_t *toff, const float *x, int T, int C, \
                               const int32_t *qoff, int npos, float *acc, int32_t ldc, int cb, int lo, int hi,         \
                               const Epilogue *ep, int p0) {                                                           \
    const int panels = (npos + 3) / 4;                                                                                 \
    int p = p0;                                                                                                        \
    if (WL == 16 && VPT == 2)                                                                                          \
      for (; p + 3 <= panels; p += 3)                                                                                  \
        wide_tile_2_12(wb, vs, step, toff, x, T, C, qoff + 4 * p, 4 * p, npos, acc, ldc, cb, lo, hi, ep, NULL, 0);                    \
    if (WL == 16 && VPT == 1)                                                                                          \
      for (; p + 3 <= panels; p += 3)                                                                                  \
        wide_tile_1_12(wb, vs, step, toff, x, T, C, qoff + 4 * p, 4 * p, npos, acc, ldc, cb, lo, hi, ep, NULL, 0);     \
    for (; p + 2 <= panels; p += 2)                                                                                    \
      wide_tile_##VPT##_8(wb, vs, step, toff, x, T, C, qoff + 4 * p, 4 * p, npos, acc, ldc, cb, lo, hi, ep, NULL, 0);                 \
    if (p < panels) wide_tile_##VPT##_4(wb, vs, step, toff, x, T, C, qoff + 4 * p, 4 * p, npos, acc, ldc, cb, lo, hi, ep, NULL, 0);   \
  }
WIDE_GROUP(2)
WIDE_GROUP(1)

#if WL == 16
/*
 * AVX-512: the last 8-channel block of an odd count (24, 40, 88 …
 * channels) as one 256-bit vector straight from its packed block, over 12
 * positions at a time (12 accumulators): the 8 × 4 tile's 128-bit vectors
 * ran those channels at half the speed, and a 512-bit vector half filled
 * with zero weights no faster. The same sums in the same order.
 */
typedef float hvec __attribute__((vector_size(32)));
static inline __attribute__((always_inline)) hvec hload(const float *p) { hvec v; memcpy(&v, p, sizeof v); return v; }
static inline __attribute__((always_inline)) hvec hsplat(float v) { return (hvec){v, v, v, v, v, v, v, v}; }
static inline __attribute__((always_inline)) hvec hmadd(hvec acc, hvec a, hvec b) {
#ifdef TESSERA_FMA
  return (hvec)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)acc);
#else
  return acc + a * b;
#endif
}

#define HALF_TILE(P)                                                                                                   \
  static __attribute__((noinline)) void half_tile_##P(const float *wb, const int32_t *toff, const float *x, int T, int C, \
                                                      const int32_t *q, int q0, int npos, float *acc, int32_t ldc, int cb, \
                                                      int lo, int hi, const Epilogue *ep) {                            \
    hvec s[P];                                                                                                         \
    const float *ys[P];                                                                                                \
    for (int p = 0; p < P; p++) {                                                                                      \
      ys[p] = x + q[p];                                                                                                \
      s[p] = hsplat(0.0f);                                                                                             \
    }                                                                                                                  \
    const float *wk = wb;                                                                                              \
    for (int t = 0; t < T; t++) {                                                                                      \
      const int o = toff[t];                                                                                           \
      for (int c = 0; c < C; c++, wk += 8) {                                                                           \
        const hvec wv = hload(wk);                                                                                     \
        for (int p = 0; p < P; p++) s[p] = hmadd(s[p], wv, hsplat(ys[p][o + c]));                                      \
      }                                                                                                                \
    }                                                                                                                  \
    float buf[P][8] __attribute__((aligned(32)));                                                                      \
    for (int p = 0; p < P; p++) memcpy(&buf[p][0], &s[p], sizeof(hvec));                                               \
    for (int g = 0; g < P / 4; g++) {                                                                                  \
      const int qg = q0 + 4 * g;                                                                                       \
      for (int i = 0; i < 8; i += 4) {                                                                                 \
        f32x4 r0 = load4(&buf[4 * g][i]), r1 = load4(&buf[4 * g + 1][i]);                                              \
        f32x4 r2 = load4(&buf[4 * g + 2][i]), r3 = load4(&buf[4 * g + 3][i]);                                          \
        transpose4(&r0, &r1, &r2, &r3);                                                                                \
        store_tile(acc + (int64_t)(cb + i) * ldc + qg, ldc, r0, r1, r2, r3, ep, cb + i, lo, hi, qg / 4, npos);         \
      }                                                                                                                \
    }                                                                                                                  \
  }
HALF_TILE(12)
HALF_TILE(8)
HALF_TILE(4)

/* Every position of one 8-channel block (packed weights wb), acc row 0 at channel cb. */
static void half_block(const float *wb, const int32_t *toff, const float *x, int T, int C, const int32_t *qoff, int npos,
                       float *acc, int32_t ldc, int cb, int lo, int hi, const Epilogue *ep) {
  const int panels = (npos + 3) / 4;
  int p = 0;
  for (; p + 3 <= panels; p += 3) half_tile_12(wb, toff, x, T, C, qoff + 4 * p, 4 * p, npos, acc, ldc, cb, lo, hi, ep);
  for (; p + 2 <= panels; p += 2) half_tile_8(wb, toff, x, T, C, qoff + 4 * p, 4 * p, npos, acc, ldc, cb, lo, hi, ep);
  if (p < panels) half_tile_4(wb, toff, x, T, C, qoff + 4 * p, 4 * p, npos, acc, ldc, cb, lo, hi, ep);
}
#endif

/*
 * The blocks wide tiles cover (whole groups of WL/8 blocks), computed; returns
 * how many — the caller does the rest with 8 × 4 tiles. AVX2: a vector is one
 * packed 8-channel block, read in place. AVX-512: a vector joins two blocks,
 * so each group's blocks are interleaved into this thread's scratch
 * ([T·C][VPT·16], tessera_scratch) by the group's first tile, which joins
 * them in registers (one shuffle per vector) and stores them as it goes; the
 * other tiles read them with no shuffle. (A separate interleaving pass cost
 * 4 % (fma) and 7 % (exact) of 256→256 14² in the micro-bench.) With no
 * scratch memory every block takes the 8 × 4 path (same bits).
 *
 * AVX-512 exact mode takes 64 channels × 4 positions first (16 accumulators,
 * 4 weight loads and 4 broadcasts per 16 multiplies and 16 adds): with the
 * multiply and the add as separate instructions, 2 × 12's 24 accumulators
 * leave too few registers for the products in flight, and on Zen 5 the 4 × 4
 * tile ran 1.2× faster (micro-bench, 64→64 56² and 256→256 14², both
 * 75 → 90 GFLOP/s; 4 × 2, 4 × 3, 4 × 5, 4 × 6 and 2 × 8 were 7–20 % below
 * it). fma mode keeps 2 × 12, which was already at the FMA loop's peak there.
 */
static int conv2d_tiles_wide(const float *w, const int32_t *toff, const float *x, int32_t T, int32_t C, const int32_t *qoff,
                             int32_t npos, int32_t nb, float *acc, int32_t ldc, int32_t lo, int32_t hi, const Epilogue *ep) {
  const int64_t bs = (int64_t)T * C * 8;
  const int per = WL / 8;
  int b = 0;
#if WL == 16
  const int64_t tc = (int64_t)T * C;
#ifdef TESSERA_FMA
  const int widest = 2;
#else
  const int widest = 4;
#endif
  float *pk = nb >= per ? (float *)tessera_scratch((unsigned long)tc * widest * WL * sizeof(float)) : NULL;
  if (!pk) {
    if (nb != 1) return 0;
    half_block(w, toff, x, T, C, qoff, npos, acc, ldc, 0, lo, hi, ep);
    return 1;
  }
#ifndef TESSERA_FMA
  const int panels = (npos + 3) / 4;
  for (; b + 4 * per <= nb; b += 4 * per) {
    wide_pack_tile_4_4(pk, 16, 64, toff, x, T, C, qoff, 0, npos, acc, ldc, b * 8, lo, hi, ep, w + b * bs, bs);
    for (int p = 1; p < panels; p++) wide_tile_4_4(pk, 16, 64, toff, x, T, C, qoff + 4 * p, 4 * p, npos, acc, ldc, b * 8, lo, hi, ep, NULL, 0);
  }
#endif
  for (; b + 2 * per <= nb; b += 2 * per) {
    wide_pack_tile_2_4(pk, 16, 32, toff, x, T, C, qoff, 0, npos, acc, ldc, b * 8, lo, hi, ep, w + b * bs, bs);
    wide_group_2(pk, 16, 32, toff, x, T, C, qoff, npos, acc, ldc, b * 8, lo, hi, ep, 1);
  }
  for (; b + per <= nb; b += per) {
    wide_pack_tile_1_4(pk, 16, 16, toff, x, T, C, qoff, 0, npos, acc, ldc, b * 8, lo, hi, ep, w + b * bs, bs);
    wide_group_1(pk, 16, 16, toff, x, T, C, qoff, npos, acc, ldc, b * 8, lo, hi, ep, 1);
  }
  if (b + 1 == nb) {
    half_block(w + b * bs, toff, x, T, C, qoff, npos, acc, ldc, b * 8, lo, hi, ep);
    b++;
  }
#else
  for (; b + 2 * per <= nb; b += 2 * per) wide_group_2(w + b * bs, bs, 8, toff, x, T, C, qoff, npos, acc, ldc, b * 8, lo, hi, ep, 0);
  for (; b + per <= nb; b += per) wide_group_1(w + b * bs, bs, 8, toff, x, T, C, qoff, npos, acc, ldc, b * 8, lo, hi, ep, 0);
#endif
  return b;
}

/*
 * Depthwise 3 × 3 (conv2d.c's dw3x3_rows), WL outputs of a row per vector:
 * each output sums its nine taps (ky, kx) in order from +0, then the
 * channel's epilogue 4 lanes at a time — the same arithmetic as the 4-lane
 * loop, which finishes the row. Returns the first column not done.
 */
static inline __attribute__((always_inline)) wvec wload1(const float *p) { wvec v; memcpy(&v, p, sizeof v); return v; }

static inline __attribute__((always_inline)) void dw_store_wide(float *out, wvec s, const Epilogue *ep, int ch) {
  const wvec v = wepilogue(s, ep, ch);
  memcpy(out, &v, sizeof v);
}

/* Two output rows at once (stride 1, dilation 1): input rows r0 … r3. */
static int dw3x3_two_wide(const float *r0, const float *r1, const float *r2, const float *r3, int o0, int o1, int o2, const float *wc,
                          float *out, float *out1, int outCols, const Epilogue *ep, int ch) {
  const wvec w0 = wsplat(wc[0]), w1 = wsplat(wc[1]), w2 = wsplat(wc[2]), w3 = wsplat(wc[3]), w4 = wsplat(wc[4]);
  const wvec w5 = wsplat(wc[5]), w6 = wsplat(wc[6]), w7 = wsplat(wc[7]), w8 = wsplat(wc[8]);
  int i = 0;
  for (; i + WL <= outCols; i += WL) {
    wvec s = wsplat(0.0f), t = s, v;
    v = wload1(r0 + i + o0); s = wmadd(s, w0, v);
    v = wload1(r0 + i + o1); s = wmadd(s, w1, v);
    v = wload1(r0 + i + o2); s = wmadd(s, w2, v);
    v = wload1(r1 + i + o0); s = wmadd(s, w3, v); t = wmadd(t, w0, v);
    v = wload1(r1 + i + o1); s = wmadd(s, w4, v); t = wmadd(t, w1, v);
    v = wload1(r1 + i + o2); s = wmadd(s, w5, v); t = wmadd(t, w2, v);
    v = wload1(r2 + i + o0); s = wmadd(s, w6, v); t = wmadd(t, w3, v);
    v = wload1(r2 + i + o1); s = wmadd(s, w7, v); t = wmadd(t, w4, v);
    v = wload1(r2 + i + o2); s = wmadd(s, w8, v); t = wmadd(t, w5, v);
    v = wload1(r3 + i + o0); t = wmadd(t, w6, v);
    v = wload1(r3 + i + o1); t = wmadd(t, w7, v);
    v = wload1(r3 + i + o2); t = wmadd(t, w8, v);
    dw_store_wide(out + i, s, ep, ch);
    dw_store_wide(out1 + i, t, ep, ch);
  }
  return i;
}

/* One output row: input rows r0, r1, r2. */
static int dw3x3_one_wide(const float *r0, const float *r1, const float *r2, int o0, int o1, int o2, const float *wc,
                          float *out, int outCols, const Epilogue *ep, int ch) {
  int i = 0;
  for (; i + WL <= outCols; i += WL) {
    wvec s = wsplat(0.0f);
    s = wmadd(s, wsplat(wc[0]), wload1(r0 + i + o0)); s = wmadd(s, wsplat(wc[1]), wload1(r0 + i + o1)); s = wmadd(s, wsplat(wc[2]), wload1(r0 + i + o2));
    s = wmadd(s, wsplat(wc[3]), wload1(r1 + i + o0)); s = wmadd(s, wsplat(wc[4]), wload1(r1 + i + o1)); s = wmadd(s, wsplat(wc[5]), wload1(r1 + i + o2));
    s = wmadd(s, wsplat(wc[6]), wload1(r2 + i + o0)); s = wmadd(s, wsplat(wc[7]), wload1(r2 + i + o1)); s = wmadd(s, wsplat(wc[8]), wload1(r2 + i + o2));
    dw_store_wide(out + i, s, ep, ch);
  }
  return i;
}

/*
 * Depthwise of any window size (conv2d.c's dw_rows), WL outputs of one row per
 * vector: the taps (ky, kx) in order from +0, then the epilogue. Returns the
 * first column not done.
 */
static int dw_row_wide(const float *row, int64_t rowStep, const int32_t *off, const float *wc, float *out, int outCols,
                       const Epilogue *ep, int ch, int kh, int kw) {
  int i = 0;
  /* Two vectors per step: two independent chains of kh·kw dependent adds. */
  for (; i + 2 * WL <= outCols; i += 2 * WL) {
    wvec s = wsplat(0.0f), t = s;
    for (int ky = 0; ky < kh; ky++) {
      const float *rk = row + ky * rowStep + i;
      for (int kx = 0; kx < kw; kx++) {
        const wvec wv = wsplat(wc[ky * kw + kx]);
        s = wmadd(s, wv, wload1(rk + off[kx]));
        t = wmadd(t, wv, wload1(rk + off[kx] + WL));
      }
    }
    dw_store_wide(out + i, s, ep, ch);
    dw_store_wide(out + i + WL, t, ep, ch);
  }
  for (; i + WL <= outCols; i += WL) {
    wvec s = wsplat(0.0f);
    for (int ky = 0; ky < kh; ky++) {
      const float *rk = row + ky * rowStep + i;
      for (int kx = 0; kx < kw; kx++) s = wmadd(s, wsplat(wc[ky * kw + kx]), wload1(rk + off[kx]));
    }
    dw_store_wide(out + i, s, ep, ch);
  }
  return i;
}

/*
 * Pointwise (conv2d.c's conv2d_pointwise), WL positions per vector: tiles of
 * 4 channels × 2 vectors, then 1 channel, over whole pairs of vectors, then
 * single vectors; each sum over ci from +0, then the epilogue 4 lanes at a
 * time. Returns the first position not done.
 */
static inline __attribute__((always_inline)) void pw_tile_wide(const float *x, int64_t xc, const float *w, int C, int co, float *y, int64_t yc,
                                                              const Epilogue *ep, int NC, int NV) {
  wvec acc[4][2];
  for (int c = 0; c < NC; c++) for (int v = 0; v < NV; v++) acc[c][v] = wsplat(0.0f);
  const float *wc = w + (int64_t)co * C;
  for (int ci = 0; ci < C; ci++) {
    wvec xv[2];
    for (int v = 0; v < NV; v++) xv[v] = wload1(x + ci * xc + v * WL);
    for (int c = 0; c < NC; c++) {
      const wvec wv = wsplat(wc[(int64_t)c * C + ci]);
      for (int v = 0; v < NV; v++) acc[c][v] = wmadd(acc[c][v], wv, xv[v]);
    }
  }
  for (int c = 0; c < NC; c++)
    for (int v = 0; v < NV; v++) dw_store_wide(y + (co + c) * yc + v * WL, acc[c][v], ep, co + c);
}

static int pw_row_wide(const float *x, int64_t xc, const float *w, int C, int cout, float *y, int64_t yc, int cols, const Epilogue *ep) {
  int q = 0;
  for (; q + 2 * WL <= cols; q += 2 * WL) {
    int co = 0;
    for (; co + 4 <= cout; co += 4) pw_tile_wide(x + q, xc, w, C, co, y + q, yc, ep, 4, 2);
    for (; co < cout; co++) pw_tile_wide(x + q, xc, w, C, co, y + q, yc, ep, 1, 2);
  }
  for (; q + WL <= cols; q += WL) {
    int co = 0;
    for (; co + 4 <= cout; co += 4) pw_tile_wide(x + q, xc, w, C, co, y + q, yc, ep, 4, 1);
    for (; co < cout; co++) pw_tile_wide(x + q, xc, w, C, co, y + q, yc, ep, 1, 1);
  }
  return q;
}

#endif
