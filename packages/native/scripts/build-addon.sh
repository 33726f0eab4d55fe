#!/usr/bin/env bash
# Builds the native kernel engine (build/Release/tessera_native.node) with
# node-gyp against the installed Node headers (offline: npm_config_nodedir).
# Optional at run time: @tessera/tensor falls back to WebAssembly without it.
# TESSERA_NATIVE_OPTIONAL=1 turns a failed build into a warning (machines
# without a C compiler); tools/setup.sh leaves it unset so a break is loud.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GYP=$(command -v node-gyp || true)
[ -x ../../node_modules/.bin/node-gyp ] && GYP=../../node_modules/.bin/node-gyp
if [ -z "$GYP" ]; then
  echo "[native] node-gyp not found (npm ci at the repository root installs it)" >&2
  exit 1
fi
export npm_config_nodedir=${npm_config_nodedir:-/usr}
if ! "$GYP" rebuild --loglevel=warn; then
  if [ "${TESSERA_NATIVE_OPTIONAL:-}" = 1 ]; then
    echo "[native] the addon did not build: Tessera will run its kernels on WebAssembly" >&2
    exit 0
  fi
  echo "[native] the addon did not build (see above): needs gcc or clang and Node headers under $npm_config_nodedir" >&2
  exit 1
fi
