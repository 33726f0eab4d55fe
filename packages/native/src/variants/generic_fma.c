/* Kernels for generic, fma mode (src/variant.c). */
#define TS_ISA generic
#define TS_MODE fma
#define TESSERA_FMA 1
#include "../variant.c"
