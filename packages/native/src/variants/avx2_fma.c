/* Kernels for avx2, fma mode (src/variant.c). */
#define TS_ISA avx2
#define TS_MODE fma
#define TESSERA_FMA 1
#include "../variant.c"
