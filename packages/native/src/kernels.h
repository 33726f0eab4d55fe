/*
 * One compiled set of the engine's kernels: an instruction set × a numeric
 * mode (src/variant.c includes the kernel files of packages/tensor under prefixed
 * names). Pointer arguments are real addresses inside a thread's
 * WebAssembly memory; call structs are passed as addresses too, and their
 * own pointer fields stay memory offsets (kernels/engine.h, AT()).
 */
#ifndef TESSERA_NATIVE_KERNELS_H
#define TESSERA_NATIVE_KERNELS_H

#include <stdint.h>

typedef struct {
  const char *isa;  /* "avx512", "avx2", "generic" */
  const char *mode; /* "exact", "fma" */
  void (*conv2d_patch_hwc)(const float *src, int32_t C, int32_t chanStride, int32_t rowStride, int32_t rows, int32_t cols,
                           float *dst, int32_t PW, int32_t Cp, int32_t top, int32_t left, int32_t len);
  void (*conv2d_tiles_8x4)(const float *w, const int32_t *toff, const float *x, int32_t T, int32_t C, const int32_t *qoff,
                           int32_t npos, int32_t nb, float *acc, int32_t ldc, int32_t lo, int32_t hi, const void *ep);
  void (*conv2d_depthwise)(const void *call);
  void (*dense_rows)(const float *w, const float *x, int32_t K, int32_t ldx, int32_t rows, int32_t panels,
                     float *y, int32_t ldy, const void *ep);
  void (*pool2d)(const void *call);
  void (*global_pool)(int32_t op, const float *src, int32_t planes, int32_t len, float *dst);
  void (*elementwise)(const void *call);
  void (*resize_nearest)(const void *call);
  void (*conv_transpose_s2)(const void *call);
  void (*conv2d_pointwise)(const void *call);
} KernelTable;

extern const KernelTable tessera_generic_exact, tessera_generic_fma;
#if defined(__x86_64__)
extern const KernelTable tessera_avx2_exact, tessera_avx2_fma, tessera_avx512_exact, tessera_avx512_fma;
#endif

#endif
