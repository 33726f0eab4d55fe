/* Kernels for avx512, fma mode (src/variant.c). */
#define TS_ISA avx512
#define TS_MODE fma
#define TESSERA_FMA 1
#include "../variant.c"
