#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian 12 machine for Tessera: system packages
# (only those missing) and the npm workspace (only when the lock file changed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# System packages each issue needs; add to this list, never install by hand.
APT_PACKAGES=(git ca-certificates fonts-dejavu-core
  # headless-gl (gpu.js' GL backend) is built from source by node-gyp and needs an X display
  build-essential python3 python-is-python3 pkg-config libx11-dev libxext-dev libxi-dev libgl-dev xvfb xauth
  # the cluster backend's message broker (JetStream included)
  nats-server
  # the kernel engine: C kernels compiled to WebAssembly SIMD (packages/tensor/kernels)
  clang-16 lld-16)

log() { printf '[setup] %s\n' "$*"; }

need_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "[setup] Node.js 20.19+ is required and was not found on PATH" >&2
    exit 1
  fi
  local v
  v=$(node -p 'process.versions.node')
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || { echo "[setup] Node.js 20.19+ is required, found $v" >&2; exit 1; }
}

install_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

install_npm() {
  local stamp=node_modules/.tessera-lock.sha256
  local want
  want=$( (sha256sum package-lock.json; node -p 'process.version') | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "npm ci"
  # node-gyp must use the installed Node headers (no download); onnxruntime-node's
  # install script would fetch CUDA parts: its CPU binary is already in the package.
  npm_config_nodedir=/usr ONNXRUNTIME_NODE_INSTALL=skip \
    npm ci --no-audit --no-fund --loglevel=error
  check_gl
  echo "$want" >"$stamp"
}

# npm exits 0 when gl's native build fails (optional dependency of gpu.js) and
# gpu.js then silently runs on WebAssembly: fail set-up loudly instead.
check_gl() {
  if [ ! -f node_modules/gl/build/Release/webgl.node ]; then
    echo "[setup] the native 'gl' module did not build (node_modules/gl/build/Release/webgl.node missing);" >&2
    echo "[setup] check the apt packages above, then: rm -rf node_modules && bash tools/setup.sh" >&2
    exit 1
  fi
}

# The native kernel engine (packages/native): optional at run time (Tessera
# falls back to WebAssembly and says why), but on a machine set up here, with
# build-essential installed above, it must build: a failure stops set-up.
# Rebuilt when its sources, the kernel sources or Node change.
build_native() {
  local stamp=packages/native/build/.tessera-sources.sha256
  local want
  want=$( (cat packages/native/binding.gyp packages/native/src/*.c packages/native/src/*.h packages/native/src/variants/*.c \
    packages/tensor/kernels/*.c packages/tensor/kernels/*.h; node -p 'process.version') | sha256sum | cut -d' ' -f1)
  if [ -f packages/native/build/Release/tessera_native.node ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "building the native kernel engine (packages/native)"
  if ! bash packages/native/scripts/build-addon.sh; then
    echo "[setup] the native kernel engine did not build; Tessera would run on WebAssembly only. Fix the build (gcc, Node headers in /usr/include/node), then rerun." >&2
    exit 1
  fi
  node -e 'const a=require("./packages/native/build/Release/tessera_native.node"); const i=a.info(); if(!i.isas.length) process.exit(1); console.log("[setup] native kernel engine: " + i.isas.join(", "))' \
    || { echo "[setup] the native kernel engine built but does not load" >&2; exit 1; }
  echo "$want" >"$stamp"
}

need_node
install_apt
install_npm
build_native
bash tools/fetch-samples.sh
bash tools/fetch-models.sh
