/*
 * The kernel sources of packages/tensor/kernels compiled as one unit for one
 * (instruction set, mode): src/variants/<isa>_<mode>.c define TS_ISA and
 * TS_MODE (and TESSERA_FMA for fma) and include this file; binding.gyp
 * compiles each instruction set's files with its own -m flags. The exported
 * kernels get prefixed names so that every variant links into one addon.
 */
#include "kernels.h"

#define TS_CAT3(a, b, c) a##_##b##_##c
#define TS_PREFIXED(isa, mode, name) TS_CAT3(isa, mode, name)
#define TS_NAME(name) TS_PREFIXED(TS_ISA, TS_MODE, name)
#define TS_STR2(x) #x
#define TS_STR(x) TS_STR2(x)

#define conv2d_patch_hwc TS_NAME(conv2d_patch_hwc)
#define conv2d_tiles_8x4 TS_NAME(conv2d_tiles_8x4)
#define conv2d_depthwise TS_NAME(conv2d_depthwise)
#define dense_rows TS_NAME(dense_rows)
#define pool2d TS_NAME(pool2d)
#define global_pool TS_NAME(global_pool)
#define elementwise TS_NAME(elementwise)
#define resize_nearest TS_NAME(resize_nearest)
#define conv2d_pointwise TS_NAME(conv2d_pointwise)
#define conv_transpose_s2 TS_NAME(conv_transpose_s2)

/* The exported kernels are external in the wasm build; here they are reached only through the table. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include "conv2d.c"
#include "dense.c"
#include "pool.c"
#include "elementwise.c"
#include "resize.c"
#include "conv_transpose.c"

static void ts_depthwise(const void *call) { conv2d_depthwise((const DwCall *)call); }
static void ts_pool2d(const void *call) { pool2d((const PoolCall *)call); }
static void ts_elementwise(const void *call) { elementwise((const EwCall *)call); }
static void ts_resize_nearest(const void *call) { resize_nearest((const NearestCall *)call); }
static void ts_pointwise(const void *call) { conv2d_pointwise((const PwCall *)call); }
static void ts_conv_transpose_s2(const void *call) { conv_transpose_s2((const CtCall *)call); }
static void ts_tiles(const float *w, const int32_t *toff, const float *x, int32_t T, int32_t C, const int32_t *qoff,
                     int32_t npos, int32_t nb, float *acc, int32_t ldc, int32_t lo, int32_t hi, const void *ep) {
  conv2d_tiles_8x4(w, toff, x, T, C, qoff, npos, nb, acc, ldc, lo, hi, (const Epilogue *)ep);
}
static void ts_dense(const float *w, const float *x, int32_t K, int32_t ldx, int32_t rows, int32_t panels,
                     float *y, int32_t ldy, const void *ep) {
  dense_rows(w, x, K, ldx, rows, panels, y, ldy, (const Epilogue *)ep);
}

#define TS_TABLE2(isa, mode) tessera_##isa##_##mode
#define TS_TABLE(isa, mode) TS_TABLE2(isa, mode)

const KernelTable TS_TABLE(TS_ISA, TS_MODE) = {
  TS_STR(TS_ISA), TS_STR(TS_MODE),
  conv2d_patch_hwc, ts_tiles, ts_depthwise, ts_dense, ts_pool2d, global_pool, ts_elementwise, ts_resize_nearest, ts_conv_transpose_s2, ts_pointwise,
};
