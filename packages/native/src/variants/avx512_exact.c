/* Kernels for avx512, exact mode (src/variant.c). */
#define TS_ISA avx512
#define TS_MODE exact
#include "../variant.c"
