/* Kernels for generic, exact mode (src/variant.c). */
#define TS_ISA generic
#define TS_MODE exact
#include "../variant.c"
