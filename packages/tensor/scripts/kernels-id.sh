#!/usr/bin/env bash
# Prints the fingerprint of the kernel sources (kernels/*.c, kernels/*.h): the
# first 8 hex digits of their SHA-256, files in byte order of their names, as
# a C integer literal. build-wasm.sh embeds it in the wasm module (a custom
# section) and the native addon's build in its info(); @tessera/tensor loads
# the addon only when the two agree, so an addon built from other sources
# (say, before a pull that changed a kernel) is never run: wasm runs instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../kernels"
printf '0x%su\n' "$(LC_ALL=C ls -1 -- *.c *.h | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-8)"
