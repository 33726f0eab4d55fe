/*
 * Element-wise kernels on feature maps in engine memory, read and written in
 * place: binary (add, sub, mul, div with broadcasting), scaleShift, the
 * activations of the fused epilogue, sigmoid and tanh (sigmoid.h), a strided copy and
 * a zip of two inputs into pairs (the bits moved as they are:
 * conv2dTranspose's pixel shuffle). One call covers a 4-D region given by
 * extents and per-tensor element strides; a stride of 0 broadcasts (a size-1
 * axis of an input, or a per-channel vector along y and x). TypeScript
 * (src/engine/elementwise.ts) merges axes that are contiguous in every
 * operand first, so the innermost run is as long as memory allows.
 *
 * Numerics: each element is one float32 operation per step, exactly what
 * the TypeScript kernels (ops/binary, ops/scale-shift, ops/activation fast.ts)
 * compute — a ∘ b rounded once; scaleShift a · s then + t, each rounded;
 * the activations as engine.h's activate — so results do not depend on the
 * region, the engine or the path (4 lanes or 1).
 *
 * Loop order: n, c, y, then x; along x, 4 elements per vector where every
 * operand is unit-stride or broadcast, else one at a time in lane 0.
 */
#include "engine.h"
#include "sigmoid.h"

enum { EW_ADD = 0, EW_SUB = 1, EW_MUL = 2, EW_DIV = 3, EW_SCALE = 4, EW_SCALE_SHIFT = 5, EW_ACT = 6, EW_COPY = 7, EW_SIGMOID = 8, EW_ZIP2 = 9, EW_TANH = 10 };

typedef struct {
  int32_t op;
  MEMPTR(const float) a;   /* the input */
  MEMPTR(const float) b;   /* binary: the second input; scale/shift: the scale vector */
  MEMPTR(const float) t;   /* scale/shift: the shift vector */
  MEMPTR(float) out;
  int32_t ext[4];          /* extents of the region: n, c, y, x */
  int32_t as[4], bs[4], ts[4], os[4]; /* element strides of a, b, t and out (0: broadcast) */
  Epilogue ep;             /* EW_ACT: act, alpha, beta (bias, scale and shift unused) */
} EwCall;

_Static_assert(sizeof(EwCall) == 25 * 4 + sizeof(Epilogue), "EwCall is written field by field from TypeScript (engine/elementwise.ts)");

static inline __attribute__((always_inline)) f32x4 ew(int op, f32x4 a, f32x4 b, f32x4 t, const Epilogue *ep) {
  switch (op) {
    case EW_ADD: return wasm_f32x4_add(a, b);
    case EW_SUB: return wasm_f32x4_sub(a, b);
    case EW_MUL: return wasm_f32x4_mul(a, b);
    case EW_DIV: return wasm_f32x4_div(a, b);
    case EW_SCALE: return wasm_f32x4_mul(a, b);
    case EW_SCALE_SHIFT: return wasm_f32x4_add(wasm_f32x4_mul(a, b), t);
    case EW_COPY: return a;
    case EW_SIGMOID: return sigmoid4(a);
    case EW_TANH: return tanh4(a);
    default: return activate(a, ep);
  }
}

/* One element in lane 0 (the other lanes compute on copies and are dropped). */
static inline __attribute__((always_inline)) void ew_one(int op, const float *a, const float *b, const float *t, float *o, const Epilogue *ep) {
  float r[4];
  store4(r, ew(op, splat(*a), b ? splat(*b) : splat(0.0f), t ? splat(*t) : splat(0.0f), ep));
  *o = r[0];
}

/* A run of n elements along x. */
static inline __attribute__((always_inline)) void ew_run(int op, const float *a, int32_t ax, const float *b, int32_t bx, const float *t, int32_t tx,
                                                         float *o, int32_t ox, int32_t n, const Epilogue *ep) {
  int32_t i = 0;
  if (ax == 1 && ox == 1 && (!b || bx <= 1) && (!t || tx <= 1)) {
    f32x4 bv = b ? splat(*b) : splat(0.0f), tv = t ? splat(*t) : splat(0.0f);
    for (; i + 4 <= n; i += 4) {
      if (b && bx) bv = load4(b + i);
      if (t && tx) tv = load4(t + i);
      store4(o + i, ew(op, load4(a + i), bv, tv, ep));
    }
  }
  for (; i < n; i++) ew_one(op, a + i * ax, b ? b + i * bx : 0, t ? t + i * tx : 0, o + i * ox, ep);
}

/* EW_ZIP2, a run of n pairs: o[i·ox] = a[i·ax], o[i·ox + 1] = b[i·bx] (two columns of a pixel shuffle at once). */
static void zip_run(const float *a, int32_t ax, const float *b, int32_t bx, float *o, int32_t ox, int32_t n) {
  int32_t i = 0;
  if (ax == 1 && bx == 1 && ox == 2) {
    for (; i + 4 <= n; i += 4) {
      const f32x4 va = load4(a + i), vb = load4(b + i);
      store4(o + 2 * i, wasm_i32x4_shuffle(va, vb, 0, 4, 1, 5));
      store4(o + 2 * i + 4, wasm_i32x4_shuffle(va, vb, 2, 6, 3, 7));
    }
  }
  for (; i < n; i++) {
    __builtin_memcpy(o + i * ox, a + i * ax, sizeof(float));
    __builtin_memcpy(o + i * ox + 1, b + i * bx, sizeof(float));
  }
}

EXPORT(elementwise) void elementwise(const EwCall *k) {
  const float *A = AT(const float, k->a), *B = k->b ? AT(const float, k->b) : 0, *T = k->t ? AT(const float, k->t) : 0;
  float *O = AT(float, k->out);
  const int op = k->op;
  for (int32_t n = 0; n < k->ext[0]; n++)
    for (int32_t c = 0; c < k->ext[1]; c++)
      for (int32_t y = 0; y < k->ext[2]; y++) {
        const float *a = A + n * k->as[0] + c * k->as[1] + y * k->as[2];
        const float *b = B ? B + n * k->bs[0] + c * k->bs[1] + y * k->bs[2] : 0;
        const float *t = T ? T + n * k->ts[0] + c * k->ts[1] + y * k->ts[2] : 0;
        float *o = O + n * k->os[0] + c * k->os[1] + y * k->os[2];
        if (op == EW_ZIP2) { zip_run(a, k->as[3], b, k->bs[3], o, k->os[3], k->ext[3]); continue; }
        switch (op) { /* one instance of the run per op: the switch in ew folds away */
          case EW_ADD: ew_run(EW_ADD, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
          case EW_SUB: ew_run(EW_SUB, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
          case EW_MUL: ew_run(EW_MUL, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
          case EW_DIV: ew_run(EW_DIV, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
          case EW_SCALE: ew_run(EW_SCALE, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
          case EW_SCALE_SHIFT: ew_run(EW_SCALE_SHIFT, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
          case EW_TANH: ew_run(EW_TANH, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
          case EW_SIGMOID: ew_run(EW_SIGMOID, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
          case EW_COPY: ew_run(EW_COPY, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
          default: ew_run(EW_ACT, a, k->as[3], b, k->bs[3], t, k->ts[3], o, k->os[3], k->ext[3], &k->ep); break;
        }
      }
}
