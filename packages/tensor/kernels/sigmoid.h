/*
 * sigmoid(v) = 1/(1 + e^−v) and tanh(v) (below) in float32 steps, with no
 * libm: the same bits in WebAssembly and in every native build
 * (test/sigmoid32.ts writes the same steps in scalar JavaScript).
 *
 *   x = −|v| clamped to ≥ −104 (e^−104 rounds to 0 in float32 anyway)
 *   n = round(x·log2e) (adding and subtracting 1.5·2^23), r = x − n·C1 − n·C2
 *   (C1 + C2 = ln 2, C1 with few bits so n·C1 is exact: Cephes' expf)
 *   e^r = 1 + r + r²·P(r), P of degree 5 by Horner, multiply then add
 *   e = (e^r · 2^⌊n/2⌋) · 2^(n−⌊n/2⌋): two exact powers of two, so a result
 *   below 2^−126 is rounded once, to a denormal, like the float64 formula's
 *   sigmoid = v < 0 ? e/(1 + e) : 1/(1 + e); NaN stays NaN.
 * Within 3·10^−7 relative of the float64 sigmoid where it is normal
 * (test/activation.test.ts measures it, and tanh's error).
 */
#ifndef TESSERA_SIGMOID_H
#define TESSERA_SIGMOID_H

#include "engine.h"

/* e^x for x ≤ 0 (NaN excluded by the callers' selects), the steps above. */
static inline __attribute__((always_inline)) f32x4 exp_neg4(f32x4 x) {
  const f32x4 magic = splat(0x1.8p23f);
  x = wasm_f32x4_pmax(splat(-104.0f), x); /* NaN becomes −104 here */
  const f32x4 t = wasm_f32x4_add(wasm_f32x4_mul(x, splat(0x1.715476p0f)), magic);
  const f32x4 nf = wasm_f32x4_sub(t, magic);
  const v128_t n = wasm_i32x4_sub(t, magic); /* the integer n: t's bits less 1.5·2^23's */
  f32x4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(nf, splat(0x1.63p-1f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(nf, splat(-0x1.bd0106p-13f)));
  const f32x4 z = wasm_f32x4_mul(r, r);
  f32x4 y = splat(0x1.a0d2cep-13f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), splat(0x1.6e879cp-10f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), splat(0x1.11121p-7f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), splat(0x1.555382p-5f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), splat(0x1.555554p-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), splat(0.5f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, z), r);
  y = wasm_f32x4_add(y, splat(1.0f));
  const v128_t n1 = wasm_i32x4_shr(n, 1), n2 = wasm_i32x4_sub(n, n1);
  const v128_t bias = wasm_i32x4_splat(127);
  const f32x4 s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23), s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23);
  return wasm_f32x4_mul(wasm_f32x4_mul(y, s1), s2);
}

static inline __attribute__((always_inline)) f32x4 sigmoid4(f32x4 v) {
  const f32x4 e = exp_neg4(wasm_v128_or(v, wasm_i32x4_splat((int32_t)0x80000000))); /* e^−|v| */
  const f32x4 num = wasm_v128_bitselect(e, splat(1.0f), wasm_f32x4_lt(v, splat(0.0f)));
  const f32x4 s = wasm_f32x4_div(num, wasm_f32x4_add(splat(1.0f), e));
  return wasm_v128_bitselect(v, s, wasm_f32x4_ne(v, v));
}

/*
 * tanh(v) in float32 steps (Cephes' tanhf): |v| < 0.625: v + v·z·P(z), z =
 * v², P of degree 4 by Horner; else with e = e^−2|v| (exp_neg4; 2|v| is
 * exact): (1 − e)/(1 + e) with v's sign. NaN stays NaN, −0 stays −0.
 */
static inline __attribute__((always_inline)) f32x4 tanh4(f32x4 v) {
  const v128_t sign = wasm_i32x4_splat((int32_t)0x80000000);
  const f32x4 a = wasm_v128_andnot(v, sign); /* |v| */
  const f32x4 z = wasm_f32x4_mul(v, v);
  f32x4 p = splat(-0x1.75e1d4p-8f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), splat(0x1.52269cp-6f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), splat(-0x1.b83c5ap-5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), splat(0x1.110726p-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), splat(-0x1.555532p-2f));
  const f32x4 small = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, z), v), v);
  const f32x4 e = exp_neg4(wasm_f32x4_mul(a, splat(-2.0f)));
  const f32x4 t = wasm_f32x4_div(wasm_f32x4_sub(splat(1.0f), e), wasm_f32x4_add(splat(1.0f), e));
  const f32x4 large = wasm_v128_or(t, wasm_v128_and(v, sign));
  const f32x4 r = wasm_v128_bitselect(small, large, wasm_f32x4_lt(a, splat(0.625f)));
  return wasm_v128_bitselect(v, r, wasm_f32x4_ne(v, v));
}

#endif
