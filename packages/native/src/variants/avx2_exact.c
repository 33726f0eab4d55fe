/* Kernels for avx2, exact mode (src/variant.c). */
#define TS_ISA avx2
#define TS_MODE exact
#include "../variant.c"
