/*
 * Shared by every kernel file: export macro, SIMD helpers and the fused
 * epilogue. Numeric contract (src/ops/op.ts): float32 arithmetic only, one
 * fixed order per output element, multiply then add (never fused: built with
 * -ffp-contract=off), so any cut of the work and any engine give the same bits.
 */
#ifndef TESSERA_ENGINE_H
#define TESSERA_ENGINE_H

#include <stdint.h>

/*
 * Two targets from one source. WebAssembly (scripts/build-wasm.sh): pointers
 * are offsets into the linear memory. Native (packages/native): the same
 * files compiled once per instruction set, reading the same WebAssembly
 * memory in place; kernel arguments arrive as pointers (the addon adds the
 * memory's base), but pointer fields of the call structs written by
 * TypeScript stay 32-bit offsets, read through AT() against this thread's
 * base (tessera_mem, set by the addon before each call).
 */
#ifdef __wasm__
#include <wasm_simd128.h>
#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))
#define MEMPTR(T) T *
#define AT(T, p) (p)
#else
#include "simd_native.h"
#define EXPORT(name)
#define MEMPTR(T) uint32_t
#define AT(T, p) ((T *)(tessera_mem + (p)))
extern _Thread_local char *tessera_mem;
#endif

typedef v128_t f32x4;

static inline f32x4 splat(float v) { return wasm_f32x4_splat(v); }
static inline f32x4 load4(const float *p) { return wasm_v128_load(p); }
static inline void store4(float *p, f32x4 v) { wasm_v128_store(p, v); }

/*
 * acc + a·b. `exact` (the default, and always in WebAssembly): a float32
 * multiply, then a float32 add. TESSERA_FMA (native `fma` builds): one fused
 * multiply-add, a single rounding; every path of every instruction set uses
 * a correctly rounded fma, so the bits still do not depend on the tiling,
 * the thread or the instruction set — only not equal to `exact`.
 */
#ifdef TESSERA_FMA
static inline f32x4 madd(f32x4 acc, f32x4 a, f32x4 b) { return ts_fma4(a, b, acc); }
#else
static inline f32x4 madd(f32x4 acc, f32x4 a, f32x4 b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }
#endif

/* Activation codes of the fused epilogue (ACT_CODE in src/ops/epilogue.ts). */
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKY = 3, ACT_HARD_SIGMOID = 4, ACT_HARD_SWISH = 5 };

/*
 * The epilogue of conv2d and dense, per output channel c:
 *   v = sum + bias[c]; if scaled: v = v · scale[c] + shift[c]; v = act(v);
 *   if post-scaled: v = v · post_scale[c] + post_shift[c]
 * each step one float32 rounding, in that order (the last: an affine layer
 * after the activation, as PP-LCNetV3 has after each hardSwish). `alpha` is leakyRelu's
 * slope or hardSigmoid's factor, `beta` hardSigmoid's offset (hardSwish:
 * 1/6 and 1/2 rounded to float32, written by TypeScript).
 */
typedef struct {
  MEMPTR(const float) bias;  /* one per output channel of the call (zeros when the layer has none) */
  MEMPTR(const float) scale; /* 0 (NULL): no per-channel scale/shift */
  MEMPTR(const float) shift;
  int32_t act;
  float alpha;
  float beta;
  MEMPTR(const float) post_scale; /* 0 (NULL): no affine step after the activation */
  MEMPTR(const float) post_shift;
} Epilogue;

_Static_assert(sizeof(Epilogue) == 8 * 4, "Epilogue is written field by field from TypeScript (ops/epilogue.ts)");

/*
 * The activations exactly as the TypeScript element-wise kernels compute
 * them (ops/activation/fast.ts), so a fused epilogue equals the unfused
 * layers bit for bit:
 *   relu        max(v, +0)          (NaN stays NaN, −0 → +0)
 *   relu6       min(max(v, +0), 6)
 *   leaky       v · alpha where the sign bit of v is set, else v (float32 multiply)
 *   hardSigmoid h = t < 0 ? 0 : t > 1 ? 1 : t with t = alpha·v + beta (two
 *               roundings); pmax/pmin are exactly those selects (NaN and −0 kept)
 *   hardSwish   v · h (one more rounding)
 */
static inline __attribute__((always_inline)) f32x4 activate(f32x4 v, const Epilogue *ep) {
  switch (ep->act) {
    case ACT_RELU: return wasm_f32x4_max(v, wasm_f32x4_splat(0.0f));
    case ACT_RELU6: return wasm_f32x4_min(wasm_f32x4_max(v, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(6.0f));
    case ACT_LEAKY: {
      v128_t neg = wasm_i32x4_shr(v, 31);
      return wasm_v128_bitselect(wasm_f32x4_mul(v, splat(ep->alpha)), v, neg);
    }
    case ACT_HARD_SIGMOID:
    case ACT_HARD_SWISH: {
      f32x4 t = wasm_f32x4_add(wasm_f32x4_mul(splat(ep->alpha), v), splat(ep->beta));
      f32x4 h = wasm_f32x4_pmin(wasm_f32x4_pmax(t, splat(0.0f)), splat(1.0f));
      return ep->act == ACT_HARD_SWISH ? wasm_f32x4_mul(v, h) : h;
    }
    default: return v;
  }
}

static inline __attribute__((always_inline)) f32x4 epilogue(f32x4 v, const Epilogue *ep, int c) {
  v = wasm_f32x4_add(v, splat(AT(const float, ep->bias)[c]));
  if (ep->scale) v = wasm_f32x4_add(wasm_f32x4_mul(v, splat(AT(const float, ep->scale)[c])), splat(AT(const float, ep->shift)[c]));
  v = activate(v, ep);
  if (ep->post_scale) v = wasm_f32x4_add(wasm_f32x4_mul(v, splat(AT(const float, ep->post_scale)[c])), splat(AT(const float, ep->post_shift)[c]));
  return v;
}

#endif
