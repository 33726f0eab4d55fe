# The native kernel engine: packages/tensor/kernels/*.c compiled once per
# instruction set (each its own static library with its own -m flags) and
# numeric mode, linked into one addon that picks at load time.
# Flags that change results are pinned: -ffp-contract=off (a·b + c is never
# fused behind our back: `fma` mode writes its fused multiply-adds as
# intrinsics), no -ffast-math (and so no flush-to-zero start-up code).
{
  "target_defaults": {
    "cflags_c": ["-std=gnu11", "-O3", "-ffp-contract=off", "-fno-fast-math", "-fno-math-errno", "-fPIC",
                 "-Wall", "-Wextra", "-Werror", "-Wno-unused-function", "-Wno-unknown-pragmas", "-Wno-psabi"],
    "cflags!": ["-O2", "-O0"],
    "include_dirs": ["src", "../tensor/kernels"],
  },
  "targets": [
    {
      "target_name": "kernels_generic",
      "type": "static_library",
      "sources": ["src/variants/generic_exact.c", "src/variants/generic_fma.c"],
    },
    {
      "target_name": "kernels_avx2",
      "type": "static_library",
      "conditions": [["target_arch=='x64'", {
        "sources": ["src/variants/avx2_exact.c", "src/variants/avx2_fma.c"],
        "cflags_c": ["-mavx2", "-mfma"],
      }]],
    },
    {
      "target_name": "kernels_avx512",
      "type": "static_library",
      "conditions": [["target_arch=='x64'", {
        "sources": ["src/variants/avx512_exact.c", "src/variants/avx512_fma.c"],
        "cflags_c": ["-mavx2", "-mfma", "-mavx512f", "-mavx512vl", "-mavx512dq", "-mavx512bw"],
      }]],
    },
    {
      "target_name": "tessera_native",
      "sources": ["src/addon.c", "src/parallel.c"],
      # The kernel sources' fingerprint (info().kernels): @tessera/tensor runs the addon only when it is its wasm module's.
      "defines": ["TESSERA_KERNELS_ID=<!(bash ../tensor/scripts/kernels-id.sh)"],
      "dependencies": ["kernels_generic"],
      "conditions": [["target_arch=='x64'", {"dependencies": ["kernels_avx2", "kernels_avx512"]}]],
      "libraries": ["-lm", "-lpthread"],
    },
  ],
}
