/*
 * Transposed convolution with kernel = stride, no padding, one group, two
 * columns per input column (sw = 2): every output is one tap of one phase,
 *   out[n, co, m·sh + ry, 2k + rx] = epilogue_co( Σ_ci w[co, ry, ci, rx] · x[n, ci, m, k] )
 * computed straight into place — no 1×1 conv into a tile and no pixel
 * shuffle afterwards (ops/conv-transpose/fast.ts keeps that path for the
 * other strides).
 *
 * Numerics: per output, the sum starts from +0 and adds w·x over ci in
 * ascending order with engine.h's madd (multiply then add; one fused
 * multiply-add in native fma builds, as conv2d's), then its epilogue (bias,
 * scale/shift, activation) of channel co: the recipe of the conv2d engine's
 * 1×1 sum, so the same bits as the tile-and-shuffle path, whatever the
 * region; a fused sigmoid is the sigmoid layer's sigmoid4 on that.
 *
 * Loop order: n, output rows (m, ry), blocks of up to 4 output channels,
 * 8 input columns at a time (16 for 1–2 channels): 16 accumulators (channels
 * × 2 phases × vectors), each ci loads the input vectors and 2 weights per
 * channel; the two phases of a vector are zipped into 8 consecutive outputs.
 * Then 4 columns at a time, then the last columns one by one in lane 0.
 */
#include "engine.h"
#include "sigmoid.h"

typedef struct {
  MEMPTR(const float) x;   /* input element (n0, 0, 0, 0) */
  MEMPTR(const float) w;   /* packed weights [Cout][sh][Cin][2] */
  MEMPTR(float) out;       /* output element (n0, 0, 0, 0) */
  int32_t n, cin, sh;      /* batch items of the region, input channels, row stride */
  int32_t c0, c1;          /* output channels of the region */
  int32_t y0, y1;          /* output rows of the region */
  int32_t k0, k1;          /* input columns: output columns [2·k0, 2·k1) */
  int32_t xs[3];           /* input element strides along n, c, y (x: 1) */
  int32_t os[3];           /* output element strides along n, c, y (x: 1) */
  int32_t sigmoid;         /* 1: sigmoid (sigmoid.h) after the epilogue (a fused sigmoid layer) */
  Epilogue ep;             /* bias, scale and shift indexed by output channel */
} CtCall;

_Static_assert(sizeof(CtCall) == 19 * 4 + sizeof(Epilogue), "CtCall is written field by field from TypeScript (ops/conv-transpose/direct.ts)");

/* The epilogue of channel c, then the fused sigmoid if any. */
static inline __attribute__((always_inline)) f32x4 ct_out(f32x4 v, const Epilogue *ep, int32_t c, int32_t sig) {
  v = epilogue(v, ep, c);
  return sig ? sigmoid4(v) : v;
}

/*
 * NC channels (1..4) from co, 4·NV input columns from xk: outputs at o (2·4·NV
 * per channel, channel stride oc). NC·2·NV accumulators: NV = 2 for 3–4
 * channels, 4 for 1–2 (enough independent sums to hide the add latency).
 */
static inline __attribute__((always_inline)) void ct_block(int NC, int NV, const float *xk, int32_t xc, int32_t cin, const float *wp, int32_t wstride,
                                                           float *o, int32_t oc, int32_t co, const Epilogue *ep, int32_t sig) {
  f32x4 acc[4][2][4];
  for (int j = 0; j < NC; j++)
    for (int p = 0; p < 2; p++)
      for (int v = 0; v < NV; v++) acc[j][p][v] = splat(0.0f);
  for (int32_t ci = 0; ci < cin; ci++) {
    f32x4 in[4];
    for (int v = 0; v < NV; v++) in[v] = load4(xk + ci * xc + 4 * v);
    for (int j = 0; j < NC; j++) {
      const float *wj = wp + j * wstride + ci * 2;
      const f32x4 w0 = splat(wj[0]), w1 = splat(wj[1]);
      for (int v = 0; v < NV; v++) {
        acc[j][0][v] = madd(acc[j][0][v], w0, in[v]);
        acc[j][1][v] = madd(acc[j][1][v], w1, in[v]);
      }
    }
  }
  for (int j = 0; j < NC; j++) {
    float *oj = o + j * oc;
    for (int v = 0; v < NV; v++) {
      const f32x4 e = ct_out(acc[j][0][v], ep, co + j, sig), f = ct_out(acc[j][1][v], ep, co + j, sig);
      store4(oj + 8 * v, wasm_i32x4_shuffle(e, f, 0, 4, 1, 5));
      store4(oj + 8 * v + 4, wasm_i32x4_shuffle(e, f, 2, 6, 3, 7));
    }
  }
}

/* One output (channel co, input column at xk, phase rx) in lane 0. */
static inline float ct_one(const float *xk, int32_t xc, int32_t cin, const float *wj, int rx, int32_t co, const Epilogue *ep, int32_t sig) {
  f32x4 acc = splat(0.0f);
  for (int32_t ci = 0; ci < cin; ci++) acc = madd(acc, splat(wj[ci * 2 + rx]), splat(xk[ci * xc]));
  float r[4];
  store4(r, ct_out(acc, ep, co, sig));
  return r[0];
}

/*
 * Native AVX2 / AVX-512 builds: the same sums on 8 or 16 input columns per
 * vector first (multiply then add, or fused in fma builds, lane by lane as
 * above), the epilogue and the zip 4 lanes at a time through a buffer.
 */
#if !defined(__wasm__) && defined(__AVX2__)
#define CT_WIDE 1
#if defined(__AVX512F__)
#define CT_WL 16
typedef float ct_wvec __attribute__((vector_size(64)));
static inline __attribute__((always_inline)) ct_wvec ct_wsplat(float v) { return (ct_wvec){v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v}; }
#else
#define CT_WL 8
typedef float ct_wvec __attribute__((vector_size(32)));
static inline __attribute__((always_inline)) ct_wvec ct_wsplat(float v) { return (ct_wvec){v, v, v, v, v, v, v, v}; }
#endif

static inline __attribute__((always_inline)) ct_wvec ct_wload(const float *p) { ct_wvec v; memcpy(&v, p, sizeof v); return v; }

static inline __attribute__((always_inline)) ct_wvec ct_wmadd(ct_wvec acc, ct_wvec a, ct_wvec b) {
#if defined(TESSERA_FMA) && CT_WL == 16
  return (ct_wvec)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)acc);
#elif defined(TESSERA_FMA)
  return (ct_wvec)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)acc);
#else
  return acc + a * b;
#endif
}

/* NC channels × 2 phases × NV vectors of CT_WL input columns from xk. */
static inline __attribute__((always_inline)) void ct_tile_wide(int NC, int NV, const float *xk, int32_t xc, int32_t cin, const float *wp, int32_t wstride,
                                                               float *o, int32_t oc, int32_t co, const Epilogue *ep, int32_t sig) {
  ct_wvec acc[4][2][2];
  for (int j = 0; j < NC; j++)
    for (int p = 0; p < 2; p++)
      for (int v = 0; v < NV; v++) acc[j][p][v] = ct_wsplat(0.0f);
  for (int32_t ci = 0; ci < cin; ci++) {
    ct_wvec in[2];
    for (int v = 0; v < NV; v++) in[v] = ct_wload(xk + ci * xc + CT_WL * v);
    for (int j = 0; j < NC; j++) {
      const float *wj = wp + j * wstride + ci * 2;
      const ct_wvec w0 = ct_wsplat(wj[0]), w1 = ct_wsplat(wj[1]);
      for (int v = 0; v < NV; v++) {
        acc[j][0][v] = ct_wmadd(acc[j][0][v], w0, in[v]);
        acc[j][1][v] = ct_wmadd(acc[j][1][v], w1, in[v]);
      }
    }
  }
  for (int j = 0; j < NC; j++)
    for (int v = 0; v < NV; v++) {
      float e[CT_WL] __attribute__((aligned(64))), f[CT_WL] __attribute__((aligned(64)));
      memcpy(e, &acc[j][0][v], sizeof e);
      memcpy(f, &acc[j][1][v], sizeof f);
      float *oj = o + j * oc + 2 * CT_WL * v;
      for (int c = 0; c < CT_WL; c += 4) {
        const f32x4 a = ct_out(load4(e + c), ep, co + j, sig), b = ct_out(load4(f + c), ep, co + j, sig);
        store4(oj + 2 * c, wasm_i32x4_shuffle(a, b, 0, 4, 1, 5));
        store4(oj + 2 * c + 4, wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
      }
    }
}

/* The columns from kk on that fill whole vectors; returns the first column left. */
static int32_t ct_cols_wide(int nc, const float *xrow, int32_t kk, int32_t k1, int32_t xc, int32_t cin, const float *wp, int32_t wstride,
                            float *o, int32_t oc, int32_t co, const Epilogue *ep, int32_t sig) {
  /* 16 accumulators at most; AVX2's 16 registers take 8 with 3–4 channels. */
  const int two = CT_WL == 16 || nc <= 2;
  if (two)
    for (; kk + 2 * CT_WL <= k1; kk += 2 * CT_WL) {
      switch (nc) {
        case 4: ct_tile_wide(4, 2, xrow + kk, xc, cin, wp, wstride, o + 2 * kk, oc, co, ep, sig); break;
        case 3: ct_tile_wide(3, 2, xrow + kk, xc, cin, wp, wstride, o + 2 * kk, oc, co, ep, sig); break;
        case 2: ct_tile_wide(2, 2, xrow + kk, xc, cin, wp, wstride, o + 2 * kk, oc, co, ep, sig); break;
        default: ct_tile_wide(1, 2, xrow + kk, xc, cin, wp, wstride, o + 2 * kk, oc, co, ep, sig); break;
      }
    }
  for (; kk + CT_WL <= k1; kk += CT_WL) {
    switch (nc) {
      case 4: ct_tile_wide(4, 1, xrow + kk, xc, cin, wp, wstride, o + 2 * kk, oc, co, ep, sig); break;
      case 3: ct_tile_wide(3, 1, xrow + kk, xc, cin, wp, wstride, o + 2 * kk, oc, co, ep, sig); break;
      case 2: ct_tile_wide(2, 1, xrow + kk, xc, cin, wp, wstride, o + 2 * kk, oc, co, ep, sig); break;
      default: ct_tile_wide(1, 1, xrow + kk, xc, cin, wp, wstride, o + 2 * kk, oc, co, ep, sig); break;
    }
  }
  return kk;
}
#endif

EXPORT(conv_transpose_s2) void conv_transpose_s2(const CtCall *k) {
  const float *X = AT(const float, k->x), *W = AT(const float, k->w);
  float *O = AT(float, k->out);
  const int32_t cin = k->cin, sh = k->sh, xc = k->xs[1], oc = k->os[1];
  const int32_t wstride = sh * cin * 2; /* one output channel's packed weights */
  for (int32_t n = 0; n < k->n; n++)
    for (int32_t oy = k->y0; oy < k->y1; oy++) {
      const int32_t m = oy / sh, ry = oy - m * sh;
      const float *xrow = X + n * k->xs[0] + m * k->xs[2];
      float *orow = O + n * k->os[0] + oy * k->os[2];
      int32_t co = k->c0;
      for (; co < k->c1; co += 4) {
        const int nc = k->c1 - co < 4 ? k->c1 - co : 4;
        const float *wp = W + co * wstride + ry * cin * 2;
        int32_t kk = k->k0;
#ifdef CT_WIDE
        kk = ct_cols_wide(nc, xrow, kk, k->k1, xc, cin, wp, wstride, orow + co * oc, oc, co, &k->ep, k->sigmoid);
#endif
        if (nc >= 3) {
          for (; kk + 8 <= k->k1; kk += 8) {
            float *o = orow + co * oc + 2 * kk;
            if (nc == 4) ct_block(4, 2, xrow + kk, xc, cin, wp, wstride, o, oc, co, &k->ep, k->sigmoid);
            else ct_block(3, 2, xrow + kk, xc, cin, wp, wstride, o, oc, co, &k->ep, k->sigmoid);
          }
        } else {
          for (; kk + 16 <= k->k1; kk += 16) {
            float *o = orow + co * oc + 2 * kk;
            if (nc == 2) ct_block(2, 4, xrow + kk, xc, cin, wp, wstride, o, oc, co, &k->ep, k->sigmoid);
            else ct_block(1, 4, xrow + kk, xc, cin, wp, wstride, o, oc, co, &k->ep, k->sigmoid);
          }
        }
        for (; kk + 4 <= k->k1; kk += 4) {
          float *o = orow + co * oc + 2 * kk;
          switch (nc) {
            case 4: ct_block(4, 1, xrow + kk, xc, cin, wp, wstride, o, oc, co, &k->ep, k->sigmoid); break;
            case 3: ct_block(3, 1, xrow + kk, xc, cin, wp, wstride, o, oc, co, &k->ep, k->sigmoid); break;
            case 2: ct_block(2, 1, xrow + kk, xc, cin, wp, wstride, o, oc, co, &k->ep, k->sigmoid); break;
            default: ct_block(1, 1, xrow + kk, xc, cin, wp, wstride, o, oc, co, &k->ep, k->sigmoid); break;
          }
        }
        for (; kk < k->k1; kk++)
          for (int j = 0; j < nc; j++)
            for (int rx = 0; rx < 2; rx++)
              orow[(co + j) * oc + 2 * kk + rx] = ct_one(xrow + kk, xc, cin, wp + j * wstride, rx, co + j, &k->ep, k->sigmoid);
      }
    }
}
