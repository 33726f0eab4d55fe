/*
 * @tessera/native: the engine's kernels (packages/tensor/kernels) compiled
 * per instruction set and numeric mode, run on a thread's WebAssembly memory
 * in place. JavaScript binds the memory once (`bind`) and gets functions with
 * the wasm exports' signatures: byte offsets into that memory, turned into
 * addresses here, so packages/tensor calls either engine the same way.
 *
 * Shared WebAssembly memory never moves when it grows (V8 reserves its
 * maximum up front), so one base address serves the memory's life;
 * packages/tensor checks that after each growth (`address`).
 *
 * Exports:
 *   info() → { isas, best, modes, compiler, kernels, helpers, splitCalls } isas: the variants this CPU runs, best first;
 *                                                   kernels: the fingerprint of the kernel sources (scripts/kernels-id.sh);
 *                                                   helpers: intra-op helper threads started so far (parallel.h);
 *                                                   splitCalls: kernel calls split across them so far
 *   bind(bytes: Uint8Array over the memory, isa, mode, threads = 1) → { conv2d_patch_hwc, …, global_pool, setLimit(bytes) }
 *                                                   threads > 1: large conv calls are split across that many threads
 *   address(bytes) → bigint                          the address of bytes[0]
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"
#include "parallel.h"

#ifndef TESSERA_KERNELS_ID
#error "build with -DTESSERA_KERNELS_ID (binding.gyp runs ../tensor/scripts/kernels-id.sh)"
#endif
#define TS_STR2(x) #x
#define TS_STR(x) TS_STR2(x)

/* The memory the running kernel call reads (engine.h's AT() for offsets inside call structs). */
_Thread_local char *tessera_mem;

/*
 * Per-thread scratch for kernels (conv2d_wide.h interleaves weight blocks
 * there): one block per thread, grown as needed, freed by the key's
 * destructor when the thread (a worker) ends.
 */
typedef struct { void *p; size_t n; } Scratch;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_ok;

static void scratch_free(void *s) {
  free(((Scratch *)s)->p);
  free(s);
}

static void scratch_init(void) { scratch_ok = pthread_key_create(&scratch_key, scratch_free) == 0; }

void *tessera_scratch(unsigned long bytes) {
  pthread_once(&scratch_once, scratch_init);
  if (!scratch_ok) return NULL;
  Scratch *s = pthread_getspecific(scratch_key);
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (pthread_setspecific(scratch_key, s) != 0) { free(s); return NULL; }
  }
  if (s->n < bytes) {
    const size_t n = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, n);
    if (!p) return NULL;
    free(s->p);
    s->p = p;
    s->n = n;
  }
  return s->p;
}

typedef struct {
  char *base;
  uint32_t limit; /* the memory's size in bytes (setLimit, after each growth) */
  const KernelTable *t;
  uint32_t refs;  /* functions that use it: each one's finalizer releases it, the last frees it */
  int threads;    /* intra-op threads a large call is split across (parallel.h); 1: the calling thread only */
} Bound;

/*
 * Work below this many multiply-adds runs on the calling thread alone:
 * waking a spinning helper costs a few microseconds, ~0.1 M multiply-adds' worth.
 */
#define SPLIT_MIN_MACS (512.0 * 1024)
/* Parts a call of `macs` multiply-adds is split into. */
static int parts_for(const Bound *b, double macs) {
  if (b->threads <= 1 || macs < SPLIT_MIN_MACS) return 1;
  const int most = (int)(macs / SPLIT_MIN_MACS);
  return most < b->threads ? most : b->threads;
}
/* Start of part i of n over [0, len), in whole units of `align`. */
static int32_t part_start(int32_t len, int32_t align, int i, int n) {
  if (i >= n) return len;
  const int64_t units = (len + align - 1) / align;
  const int64_t s = units * i / n * align;
  return s < len ? (int32_t)s : len;
}

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      const napi_extended_error_info *info_;                               \
      napi_get_last_error_info((env), &info_);                             \
      napi_throw_error((env), "NATIVE_FAILED",                             \
                       info_ && info_->error_message ? info_->error_message : #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static const KernelTable *variants[] = {
#if defined(__x86_64__)
  &tessera_avx512_exact, &tessera_avx512_fma, &tessera_avx2_exact, &tessera_avx2_fma,
#endif
  &tessera_generic_exact, &tessera_generic_fma,
};

/* Whether this CPU (and its OS) runs the variant compiled for `isa`. */
static int runs(const char *isa) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (strcmp(isa, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return strcmp(isa, "generic") == 0;
}

/*
 * Up to 13 numeric arguments as int32 (offsets wrap to uint32 below). The
 * arguments in `ptrs` (a bit per position) are addresses: one outside the
 * memory is refused as wasm would trap on it (TypeScript checks every bound
 * before a call; this catches a bug before it becomes a crash).
 */
static int args_i32(napi_env env, napi_callback_info info, size_t want, uint32_t ptrs, int32_t *out, Bound **b) {
  napi_value argv[13];
  size_t argc = 13;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)b) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, "BAD_ARGUMENT", "native kernel: too few arguments");
    return 0;
  }
  for (size_t i = 0; i < want; i++) {
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) {
      napi_throw_type_error(env, "BAD_ARGUMENT", "native kernel: arguments must be numbers");
      return 0;
    }
  }
  for (size_t i = 0; i < want; i++) {
    if ((ptrs >> i & 1) && (uint32_t)out[i] >= (*b)->limit) {
      char msg[128];
      snprintf(msg, sizeof msg, "native kernel: address %u (argument %zu) is outside the engine memory of %u bytes", (uint32_t)out[i], i, (*b)->limit);
      napi_throw_error(env, "NATIVE_FAILED", msg);
      return 0;
    }
  }
  tessera_mem = (*b)->base;
  return 1;
}

#define P(T, v) ((T)(b->base + (uint32_t)(v)))

typedef struct { const Bound *b; int32_t a[12]; } PatchJob;

/*
 * Window rows [s, e) of a conv2d_patch_hwc call: part 0 also zeroes the
 * padding rows above the window, the last part those below and the slack;
 * each part writes only its own span of the patch.
 */
static void patch_part(const void *ctx, int i, int n) {
  const PatchJob *j = ctx;
  const Bound *b = j->b;
  const int32_t *a = j->a;
  const int32_t rows = a[4], PW = a[7], Cp = a[8], top = a[9], len = a[11];
  const int32_t s = part_start(rows, 1, i, n), e = part_start(rows, 1, i + 1, n);
  const int64_t z0 = i == 0 ? 0 : (int64_t)(top + s) * PW * Cp, z1 = i == n - 1 ? len : (int64_t)(top + e) * PW * Cp;
  if (z1 <= z0) return;
  b->t->conv2d_patch_hwc(P(const float *, a[0]) + (int64_t)s * a[3], a[1], a[2], a[3], e - s, a[5], P(float *, a[6]) + z0, PW, Cp,
                         i == 0 ? top : 0, a[10], (int32_t)(z1 - z0));
}

/* Patches of at least this many floats are split, one part per thread (a copy: memory-bound, but the transposes take time too). */
#define SPLIT_MIN_PATCH (128 * 1024)

static napi_value k_patch(napi_env env, napi_callback_info info) {
  PatchJob j;
  Bound *b;
  if (!args_i32(env, info, 12, 1u << 0 | 1u << 6, j.a, &b)) return NULL;
  j.b = b;
  int parts = b->threads > 1 && j.a[11] >= SPLIT_MIN_PATCH && j.a[4] > 1 ? b->threads : 1;
  if (parts > j.a[4]) parts = j.a[4];
  tessera_parallel(parts, patch_part, &j, b->base);
  return NULL;
}

typedef struct { const Bound *b; int32_t a[13]; } TilesJob;

/* The Epilogue struct of kernels/engine.h, whose vector fields a split by channels moves. */
typedef struct {
  uint32_t bias, scale, shift;
  int32_t act;
  float alpha, beta;
  uint32_t post_scale, post_shift;
} EpilogueFields;
_Static_assert(sizeof(EpilogueFields) == 8 * 4, "EpilogueFields mirrors kernels/engine.h's Epilogue");

/*
 * Part of a conv2d_tiles_8x4 call. Positions [s, e) when there are enough
 * (its position table and output from position s on: positions are
 * consecutive in acc), parts starting on whole 48-position groups so only
 * the last has a short tile; else (a small map with many channels) blocks of
 * 8 output channels [s, e): their weights, acc rows and epilogue vectors
 * (a copy of the Epilogue with its vectors moved), in runs of 4 blocks when
 * there are enough (the wide tiles' 32 channels).
 */
static void tiles_part(const void *ctx, int i, int n) {
  const TilesJob *j = ctx;
  const Bound *b = j->b;
  const int32_t *a = j->a;
  if (a[6] >= 96) {
    const int32_t s = part_start(a[6], 48, i, n), e = part_start(a[6], 48, i + 1, n);
    if (e <= s) return;
    b->t->conv2d_tiles_8x4(P(const float *, a[0]), P(const int32_t *, a[1]), P(const float *, a[2]), a[3], a[4], P(const int32_t *, a[5]) + s,
                           e - s, a[7], P(float *, a[8]) + s, a[9], a[10], a[11], P(const void *, a[12]));
    return;
  }
  const int32_t unit = a[7] >= 8 * n ? 4 : 1;
  const int32_t s = part_start(a[7], unit, i, n), e = part_start(a[7], unit, i + 1, n);
  if (e <= s) return;
  EpilogueFields ep = *P(const EpilogueFields *, a[12]);
  const uint32_t by = (uint32_t)s * 8 * 4;
  ep.bias += by;
  if (ep.scale) { ep.scale += by; ep.shift += by; }
  if (ep.post_scale) { ep.post_scale += by; ep.post_shift += by; }
  b->t->conv2d_tiles_8x4(P(const float *, a[0]) + (int64_t)s * a[3] * a[4] * 8, P(const int32_t *, a[1]), P(const float *, a[2]), a[3], a[4],
                         P(const int32_t *, a[5]), a[6], e - s, P(float *, a[8]) + (int64_t)s * 8 * a[9], a[9], a[10] - s * 8, a[11] - s * 8, &ep);
}

static napi_value k_tiles(napi_env env, napi_callback_info info) {
  TilesJob j;
  Bound *b;
  if (!args_i32(env, info, 13, 1u << 0 | 1u << 1 | 1u << 2 | 1u << 5 | 1u << 8 | 1u << 12, j.a, &b)) return NULL;
  j.b = b;
  /* positions × channels × taps × input channels */
  const double macs = (double)j.a[6] * j.a[7] * 8 * j.a[3] * j.a[4];
  int parts = parts_for(b, macs);
  if (j.a[6] < 96 && parts > j.a[7]) parts = j.a[7]; /* split by channel blocks: at most one per block */
  tessera_parallel(parts, tiles_part, &j, b->base);
  return NULL;
}

/*
 * Kernels that take one call struct: f(call) runs it; f(call, count, stride)
 * runs `count` independent calls at call + i·stride, split across the
 * intra-op threads (TypeScript prepares them with disjoint outputs and
 * scratch, e.g. a depthwise layer's channels in `threads` blocks).
 */
typedef struct { const Bound *b; void (*fn)(const void *); uint32_t at; int32_t count, stride; } CallsJob;

static void calls_part(const void *ctx, int i, int n) {
  const CallsJob *j = ctx;
  const Bound *b = j->b;
  for (int32_t k = part_start(j->count, 1, i, n); k < part_start(j->count, 1, i + 1, n); k++) j->fn(P(const void *, j->at + (uint32_t)k * j->stride));
}

static napi_value struct_calls(napi_env env, napi_callback_info info, size_t slot) {
  int32_t a[3] = {0, 1, 0};
  Bound *b;
  napi_value argv[3];
  size_t argc = 3;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&b) != napi_ok) return NULL;
  if (!args_i32(env, info, argc >= 3 ? 3 : 1, 1u, a, &b)) return NULL;
  void (*fn)(const void *) = *(void (*const *)(const void *))((const char *)b->t + slot);
  if (a[1] <= 1) { fn(P(const void *, a[0])); return NULL; }
  const uint64_t last = (uint32_t)a[0] + (uint64_t)(a[1] - 1) * (uint32_t)a[2];
  if (a[2] <= 0 || last >= b->limit) {
    napi_throw_error(env, "NATIVE_FAILED", "native kernel: call structs outside the engine memory");
    return NULL;
  }
  CallsJob j = {b, fn, (uint32_t)a[0], a[1], a[2]};
  tessera_parallel(b->threads < a[1] ? b->threads : a[1], calls_part, &j, b->base);
  return NULL;
}

#define STRUCT_KERNEL(name, field) \
  static napi_value name(napi_env env, napi_callback_info info) { return struct_calls(env, info, offsetof(KernelTable, field)); }

STRUCT_KERNEL(k_depthwise, conv2d_depthwise)

static napi_value k_dense(napi_env env, napi_callback_info info) {
  int32_t a[9]; Bound *b;
  if (!args_i32(env, info, 9, 1u << 0 | 1u << 1 | 1u << 6 | 1u << 8, a, &b)) return NULL;
  b->t->dense_rows(P(const float *, a[0]), P(const float *, a[1]), a[2], a[3], a[4], a[5], P(float *, a[6]), a[7], P(const void *, a[8]));
  return NULL;
}

STRUCT_KERNEL(k_pool, pool2d)

STRUCT_KERNEL(k_elementwise, elementwise)

/* The PwCall fields (kernels/conv2d.c) a split changes. */
typedef struct {
  uint32_t src; int32_t srcChan, srcRow;
  uint32_t dst; int32_t dstChan, dstRow;
  int32_t rows, cols;
  uint32_t w; int32_t C, cout;
  uint32_t tail, ep;
} PwFields;

typedef struct { const Bound *b; PwFields call; } PwJob;

/*
 * Part of a conv2d_pointwise call: a run of one long row's positions (whole
 * groups of 16, so only the last part has a tail), or of whole rows (split
 * only when rows have no tail: the tail scratch is one per call).
 */
static void pointwise_part(const void *ctx, int i, int n) {
  const PwJob *j = ctx;
  PwFields c = j->call;
  if (c.rows == 1) {
    const int32_t s = part_start(c.cols, 16, i, n), e = part_start(c.cols, 16, i + 1, n);
    if (e <= s) return;
    c.src += (uint32_t)s * 4; c.dst += (uint32_t)s * 4; c.cols = e - s;
  } else {
    const int32_t s = part_start(c.rows, 1, i, n), e = part_start(c.rows, 1, i + 1, n);
    if (e <= s) return;
    c.src += (uint32_t)(s * c.srcRow) * 4; c.dst += (uint32_t)(s * c.dstRow) * 4; c.rows = e - s;
  }
  j->b->t->conv2d_pointwise(&c);
}

static napi_value k_pointwise(napi_env env, napi_callback_info info) {
  int32_t a[1]; Bound *b;
  if (!args_i32(env, info, 1, 1u, a, &b)) return NULL;
  PwJob j = {b, *P(const PwFields *, a[0])};
  const double macs = (double)j.call.rows * j.call.cols * j.call.C * j.call.cout;
  const int parts = j.call.rows == 1 || j.call.cols % 4 == 0 ? parts_for(b, macs) : 1;
  if (parts == 1) b->t->conv2d_pointwise(P(const void *, a[0]));
  else tessera_parallel(parts, pointwise_part, &j, b->base);
  return NULL;
}

STRUCT_KERNEL(k_resize_nearest, resize_nearest)

STRUCT_KERNEL(k_conv_transpose_s2, conv_transpose_s2)

typedef struct { const Bound *b; int32_t a[5]; } GlobalJob;

/* Planes [s, e) of a global_pool call (one output per plane). */
static void global_part(const void *ctx, int i, int n) {
  const GlobalJob *j = ctx;
  const Bound *b = j->b;
  const int32_t *a = j->a;
  const int32_t s = part_start(a[2], 1, i, n), e = part_start(a[2], 1, i + 1, n);
  if (e > s) b->t->global_pool(a[0], P(const float *, a[1]) + (int64_t)s * a[3], e - s, a[3], P(float *, a[4]) + s);
}

static napi_value k_global(napi_env env, napi_callback_info info) {
  GlobalJob j;
  Bound *b;
  if (!args_i32(env, info, 5, 1u << 1 | 1u << 4, j.a, &b)) return NULL;
  j.b = b;
  /* Memory-bound: a part per 32 K floats read, at most `threads`, never more than the planes. */
  int parts = (int)((double)j.a[2] * j.a[3] / 32768);
  if (parts > b->threads) parts = b->threads;
  if (parts > j.a[2]) parts = j.a[2];
  tessera_parallel(parts, global_part, &j, b->base);
  return NULL;
}

/* setLimit(bytes): the memory grew to `bytes`. */
static napi_value k_limit(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  Bound *b;
  double bytes;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&b));
  if (argc < 1 || napi_get_value_double(env, argv[0], &bytes) != napi_ok || !(bytes >= 0)) {
    napi_throw_type_error(env, "BAD_ARGUMENT", "native setLimit(bytes)");
    return NULL;
  }
  b->limit = bytes >= 4294967295.0 ? 4294967295u : (uint32_t)bytes;
  return NULL;
}

static int str_arg(napi_env env, napi_value v, char *buf, size_t n) {
  size_t len;
  return napi_get_value_string_utf8(env, v, buf, n, &len) == napi_ok;
}

/* The data pointer of a typed array (a view of the engine memory). */
static int view_base(napi_env env, napi_value v, char **base, size_t *bytes) {
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, "BAD_ARGUMENT", "native: expected a Uint8Array over the engine memory");
    return 0;
  }
  *base = (char *)data;
  if (bytes) *bytes = length;
  return 1;
}

/* A bound function was collected: the last one frees the binding (the functions may outlive the object holding them). */
static void release_bound(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  Bound *b = data;
  if (--b->refs == 0) free(b);
}

static napi_value bind(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) { napi_throw_type_error(env, "BAD_ARGUMENT", "native bind(bytes, isa, mode[, threads])"); return NULL; }
  int32_t threads = 1;
  if (argc > 3 && (napi_get_value_int32(env, argv[3], &threads) != napi_ok || threads < 1 || threads > 64)) {
    napi_throw_range_error(env, "BAD_ARGUMENT", "native bind: threads must be an integer from 1 to 64");
    return NULL;
  }
  char *base;
  size_t bytes;
  if (!view_base(env, argv[0], &base, &bytes)) return NULL;
  char isa[16] = "", mode[16] = "";
  if (!str_arg(env, argv[1], isa, sizeof isa) || !str_arg(env, argv[2], mode, sizeof mode)) {
    napi_throw_type_error(env, "BAD_ARGUMENT", "native bind: isa and mode must be strings");
    return NULL;
  }
  const KernelTable *t = NULL;
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
    if (strcmp(variants[i]->isa, isa) == 0 && strcmp(variants[i]->mode, mode) == 0) t = variants[i];
  if (!t || !runs(isa)) {
    char msg[96];
    snprintf(msg, sizeof msg, "native: no kernel variant %s/%s runs on this CPU", isa, mode);
    napi_throw_error(env, "UNAVAILABLE", msg);
    return NULL;
  }
  Bound *b = malloc(sizeof *b);
  if (!b) { napi_throw_error(env, "RESOURCE_EXHAUSTED", "native bind: out of memory"); return NULL; }
  b->base = base;
  b->limit = bytes >= 4294967295u ? 4294967295u : (uint32_t)bytes;
  b->t = t;
  b->refs = 0;
  b->threads = threads;
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) {
    free(b);
    napi_throw_error(env, "NATIVE_FAILED", "native bind: cannot create the kernel object");
    return NULL;
  }
  static const struct { const char *name; napi_callback fn; } fns[] = {
    {"conv2d_patch_hwc", k_patch}, {"conv2d_tiles_8x4", k_tiles}, {"conv2d_depthwise", k_depthwise}, {"conv2d_pointwise", k_pointwise},
    {"dense_rows", k_dense}, {"pool2d", k_pool}, {"global_pool", k_global}, {"elementwise", k_elementwise}, {"resize_nearest", k_resize_nearest},
    {"conv_transpose_s2", k_conv_transpose_s2}, {"setLimit", k_limit},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, b, &f) != napi_ok ||
        napi_add_finalizer(env, f, b, release_bound, NULL, NULL) != napi_ok) {
      if (b->refs == 0) free(b); /* else the functions made so far release it when collected */
      napi_throw_error(env, "NATIVE_FAILED", "native bind: cannot create the kernel functions");
      return NULL;
    }
    b->refs++;
    if (napi_set_named_property(env, obj, fns[i].name, f) != napi_ok) {
      napi_throw_error(env, "NATIVE_FAILED", "native bind: cannot create the kernel object");
      return NULL;
    }
  }
  return obj;
}

static napi_value address(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  size_t argc = 1;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *base;
  if (argc < 1 || !view_base(env, argv[0], &base, NULL)) return NULL;
  CHECK(env, napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)base, &out));
  return out;
}

static napi_value info_fn(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, isas, modes, s;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_create_array(env, &isas));
  uint32_t n = 0;
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i += 2) {
    if (!runs(variants[i]->isa)) continue;
    CHECK(env, napi_create_string_utf8(env, variants[i]->isa, NAPI_AUTO_LENGTH, &s));
    CHECK(env, napi_set_element(env, isas, n++, s));
  }
  CHECK(env, napi_set_named_property(env, obj, "isas", isas));
  CHECK(env, napi_create_array(env, &modes));
  CHECK(env, napi_create_string_utf8(env, "exact", NAPI_AUTO_LENGTH, &s));
  CHECK(env, napi_set_element(env, modes, 0, s));
  CHECK(env, napi_create_string_utf8(env, "fma", NAPI_AUTO_LENGTH, &s));
  CHECK(env, napi_set_element(env, modes, 1, s));
  CHECK(env, napi_set_named_property(env, obj, "modes", modes));
  CHECK(env, napi_create_string_utf8(env, __VERSION__, NAPI_AUTO_LENGTH, &s));
  CHECK(env, napi_set_named_property(env, obj, "compiler", s));
  CHECK(env, napi_create_string_utf8(env, TS_STR(TESSERA_KERNELS_ID), NAPI_AUTO_LENGTH, &s));
  CHECK(env, napi_set_named_property(env, obj, "kernels", s));
  CHECK(env, napi_create_int32(env, tessera_parallel_helpers(), &s));
  CHECK(env, napi_set_named_property(env, obj, "helpers", s));
  CHECK(env, napi_create_double(env, tessera_parallel_jobs(), &s));
  CHECK(env, napi_set_named_property(env, obj, "splitCalls", s));
  return obj;
}

NAPI_MODULE_INIT() {
  napi_value f;
  if (napi_create_function(env, "info", NAPI_AUTO_LENGTH, info_fn, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "info", f) != napi_ok ||
      napi_create_function(env, "bind", NAPI_AUTO_LENGTH, bind, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "bind", f) != napi_ok ||
      napi_create_function(env, "address", NAPI_AUTO_LENGTH, address, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "address", f) != napi_ok)
    return NULL;
  return exports;
}
