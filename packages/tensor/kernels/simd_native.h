/*
 * The subset of <wasm_simd128.h> the kernels use, for native builds
 * (packages/native): GCC/Clang vector extensions, which the compiler lowers
 * to SSE2/AVX2/AVX-512 on x86, NEON on arm64 and scalar code elsewhere.
 *
 * Each operation keeps the WebAssembly semantics wherever the bits depend on
 * it, so native `exact` builds equal the wasm engine bit for bit:
 *   - add, mul, div, sqrt: IEEE float32, one rounding (-ffp-contract=off);
 *   - f32x4.min/max propagate NaN and order −0 < +0, which x86's minps/maxps
 *     do not: V8's own instruction sequence is emulated step by step, NaN
 *     sign and canonical payload included (checked against V8 in the tests);
 *   - pmax is `a < b ? b : a`; shifts are arithmetic; loads and stores are
 *     unaligned.
 * Denormals are never flushed: nothing here sets FTZ/DAZ.
 */
#ifndef TESSERA_SIMD_NATIVE_H
#define TESSERA_SIMD_NATIVE_H

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

typedef int32_t v128_t __attribute__((vector_size(16), aligned(16)));
typedef float tv4f __attribute__((vector_size(16), aligned(16)));
typedef uint32_t tv4u __attribute__((vector_size(16), aligned(16)));

#define TS_F(v) ((tv4f)(v))
#define TS_I(v) ((v128_t)(v))

static inline v128_t wasm_v128_load(const void *p) { v128_t v; memcpy(&v, p, 16); return v; }
static inline void wasm_v128_store(void *p, v128_t v) { memcpy(p, &v, 16); }
static inline v128_t wasm_f32x4_splat(float v) { return TS_I(((tv4f){v, v, v, v})); }
static inline v128_t wasm_i32x4_splat(int32_t v) { return (v128_t){v, v, v, v}; }
static inline v128_t wasm_f32x4_make(float a, float b, float c, float d) { return TS_I(((tv4f){a, b, c, d})); }
static inline v128_t wasm_v128_load32_splat(const void *p) { int32_t v; memcpy(&v, p, 4); return (v128_t){v, v, v, v}; }
#define wasm_v128_store32_lane(p, v, lane) do { const int32_t ts_lane_ = (v)[lane]; memcpy((p), &ts_lane_, 4); } while (0)
#define wasm_i32x4_shuffle(a, b, i0, i1, i2, i3) ((v128_t)__builtin_shufflevector((v128_t)(a), (v128_t)(b), i0, i1, i2, i3))

static inline v128_t wasm_f32x4_add(v128_t a, v128_t b) { return TS_I(TS_F(a) + TS_F(b)); }
static inline v128_t wasm_f32x4_sub(v128_t a, v128_t b) { return TS_I(TS_F(a) - TS_F(b)); }
static inline v128_t wasm_f32x4_mul(v128_t a, v128_t b) { return TS_I(TS_F(a) * TS_F(b)); }
static inline v128_t wasm_f32x4_div(v128_t a, v128_t b) { return TS_I(TS_F(a) / TS_F(b)); }
static inline v128_t wasm_f32x4_sqrt(v128_t a) {
#if defined(__SSE2__)
  return TS_I(_mm_sqrt_ps((__m128)a));
#else
  const tv4f f = TS_F(a);
  return TS_I(((tv4f){__builtin_sqrtf(f[0]), __builtin_sqrtf(f[1]), __builtin_sqrtf(f[2]), __builtin_sqrtf(f[3])}));
#endif
}

/* a·b + c rounded once (the native `fma` mode): the FMA instruction where there is one, else C's fmaf, lane by lane. */
static inline v128_t ts_fma4(v128_t a, v128_t b, v128_t c) {
#if defined(__FMA__)
  return TS_I(_mm_fmadd_ps((__m128)a, (__m128)b, (__m128)c));
#else
  const tv4f x = TS_F(a), y = TS_F(b), z = TS_F(c);
  return TS_I(((tv4f){__builtin_fmaf(x[0], y[0], z[0]), __builtin_fmaf(x[1], y[1], z[1]),
                      __builtin_fmaf(x[2], y[2], z[2]), __builtin_fmaf(x[3], y[3], z[3])}));
#endif
}

static inline v128_t wasm_v128_and(v128_t a, v128_t b) { return a & b; }
static inline v128_t wasm_v128_or(v128_t a, v128_t b) { return a | b; }
static inline v128_t wasm_v128_xor(v128_t a, v128_t b) { return a ^ b; }
static inline v128_t wasm_v128_andnot(v128_t a, v128_t b) { return a & ~b; }
static inline v128_t wasm_v128_bitselect(v128_t a, v128_t b, v128_t m) { return (a & m) | (b & ~m); }
static inline v128_t wasm_i32x4_shr(v128_t a, int n) { return a >> n; }
static inline v128_t wasm_i32x4_shl(v128_t a, int n) { return a << n; }
static inline v128_t wasm_i32x4_add(v128_t a, v128_t b) { return a + b; }
static inline v128_t wasm_i32x4_sub(v128_t a, v128_t b) { return a - b; }
static inline v128_t wasm_u32x4_shr(v128_t a, int n) { return (v128_t)((tv4u)a >> (uint32_t)n); }
static inline v128_t wasm_i32x4_min(v128_t a, v128_t b) {
#if defined(__SSE4_1__)
  return (v128_t)_mm_min_epi32((__m128i)a, (__m128i)b);
#else
  return wasm_v128_bitselect(a, b, a < b);
#endif
}
static inline v128_t wasm_f32x4_ne(v128_t a, v128_t b) { return TS_F(a) != TS_F(b); }
static inline v128_t wasm_f32x4_lt(v128_t a, v128_t b) { return TS_F(a) < TS_F(b); }
static inline v128_t wasm_f32x4_gt(v128_t a, v128_t b) { return TS_F(a) > TS_F(b); }
/* Lanes where a or b is NaN (cmpunordps). */
static inline v128_t ts_unord(v128_t a, v128_t b) { return (TS_F(a) != TS_F(a)) | (TS_F(b) != TS_F(b)); }

/* x86 maxps / minps: the first operand where it compares greater (less), else the second (NaN or equal). */
static inline v128_t ts_maxps(v128_t a, v128_t b) {
#if defined(__SSE2__)
  return TS_I(_mm_max_ps((__m128)a, (__m128)b));
#else
  return wasm_v128_bitselect(a, b, wasm_f32x4_gt(a, b));
#endif
}
static inline v128_t ts_minps(v128_t a, v128_t b) {
#if defined(__SSE2__)
  return TS_I(_mm_min_ps((__m128)a, (__m128)b));
#else
  return wasm_v128_bitselect(a, b, wasm_f32x4_lt(a, b));
#endif
}

/* wasm pmax / pmin: exactly `a < b ? b : a` and `b < a ? b : a` — maxps(b, a) and minps(b, a). */
static inline v128_t wasm_f32x4_pmax(v128_t a, v128_t b) { return ts_maxps(b, a); }
static inline v128_t wasm_f32x4_pmin(v128_t a, v128_t b) { return ts_minps(b, a); }

/*
 * V8's f32x4.max on x64 (SharedTurboAssembler::F32x4Max): maxps both ways,
 * xor finds the discrepancies, or/sub propagate NaN and the sign of zeros,
 * then NaN payloads are cleared (a NaN result is ±0x7fc00000, its sign as
 * that sequence leaves it).
 */
static inline v128_t wasm_f32x4_max(v128_t lhs, v128_t rhs) {
  v128_t scratch = ts_maxps(lhs, rhs);
  v128_t dst = ts_maxps(rhs, lhs);
  dst = dst ^ scratch;
  scratch = scratch | dst;
  scratch = wasm_f32x4_sub(scratch, dst);
  dst = ts_unord(dst, scratch);
  dst = wasm_u32x4_shr(dst, 10);
  return scratch & ~dst;
}

/* V8's f32x4.min on x64 (SharedTurboAssembler::F32x4Min). */
static inline v128_t wasm_f32x4_min(v128_t lhs, v128_t rhs) {
  v128_t scratch = ts_minps(lhs, rhs);
  v128_t dst = ts_minps(rhs, lhs);
  scratch = scratch | dst;
  dst = ts_unord(dst, scratch);
  scratch = scratch | dst;
  dst = wasm_u32x4_shr(dst, 10);
  return scratch & ~dst;
}

#endif
