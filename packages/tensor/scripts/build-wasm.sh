#!/usr/bin/env bash
# Compiles kernels/*.c into one WebAssembly SIMD128 module, wasm/tessera.wasm.
# No libc, no emscripten: clang-16 + wasm-ld-16 from Debian (tools/setup.sh).
# -ffp-contract=off: multiply then add, never fused (the numeric contract).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CC=${TESSERA_CLANG:-$(command -v clang-16 || true)}
if [ -z "$CC" ]; then
  echo "[tensor] clang-16 not found: the kernel engine is C compiled to WebAssembly; run bash tools/setup.sh (installs clang-16 lld-16)" >&2
  exit 1
fi
mkdir -p wasm
out=wasm/tessera.wasm
# wasm-ld is found by clang as wasm-ld; Debian names it wasm-ld-16.
LD_DIR=$(mktemp -d)
trap 'rm -rf "$LD_DIR"' EXIT
ln -s "$(command -v wasm-ld-16 || command -v wasm-ld)" "$LD_DIR/wasm-ld"
# The sources' fingerprint, checked against the native addon's before the addon runs (scripts/kernels-id.sh).
KERNELS_ID=$(bash scripts/kernels-id.sh)
PATH="$LD_DIR:$PATH" "$CC" --target=wasm32 -O3 -msimd128 -mbulk-memory -matomics -nostdlib -std=c11 -DTESSERA_KERNELS_ID="$KERNELS_ID" \
  -ffp-contract=off -fno-fast-math -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--export=__heap_base -Wl,--import-memory -Wl,--shared-memory -Wl,--initial-memory=1048576 -Wl,--max-memory=4294967296 \
  -Wl,--stack-first -Wl,-z,stack-size=65536 \
  -o "$out.tmp" kernels/*.c
mv "$out.tmp" "$out"
