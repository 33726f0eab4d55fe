/*
 * The fingerprint of the kernel sources this module was built from
 * (scripts/kernels-id.sh), as the wasm custom section "tessera_kernels_id":
 * @tessera/tensor compares it with the native addon's before running the
 * addon (src/engine/native.ts).
 */
#ifndef TESSERA_KERNELS_ID
#error "build with -DTESSERA_KERNELS_ID=$(bash scripts/kernels-id.sh)"
#endif
#define TS_STR2(x) #x
#define TS_STR(x) TS_STR2(x)
#if defined(__wasm__)
// A custom section through the assembler: a variable in a ".custom_section." section is dropped by the linker.
__asm__(".section .custom_section.tessera_kernels_id,\"\",@\n.ascii \"" TS_STR(TESSERA_KERNELS_ID) "\"\n.text\n");
#endif
