#!/usr/bin/env bash
# Packs tools/device/scaling-16.ts for a machine with no Node.js and no network: one folder, .device/, that holds
#   node.xz                         this machine's node binary, xz-compressed (unpacked there by run.sh)
#   package.json                    {"type": "module"}: the bundles below are ESM, some named .js
#   dist/bench/scaling-16.mjs       the benchmark, with @tessera/* (from TS source) and piscina inlined
#   dist/bench/worker.js            piscina's own worker entry (piscina finds it next to itself: __dirname/worker.js)
#   dist/bench/worker/tile.worker.js  the PoolExecutor's task entry (new URL('./worker/tile.worker.js', import.meta.url))
#   wasm/tessera.wasm               the kernel engine (new URL('../../wasm/tessera.wasm', import.meta.url) from dist/bench)
#   native/tessera_native.node      the native kernel engine, when packages/native has been built (TESSERA_NATIVE_ADDON)
#   face-api/model/                 face-api's recognition weights (--weights)
#   run.sh                          what runs there: unpack node, record lscpu, run the benchmark into $OUT
# Then a quick check runs the bundle here with the unpacked node (--quick --threads 1,2), so a missing file shows up
# before any device time is spent. Usage: bash tools/device/pack.sh [--no-check]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dev=.device
esbuild=node_modules/.bin/esbuild

mkdir -p "$dev/dist/bench/worker" "$dev/wasm" "$dev/native" "$dev/face-api/model"
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude

# Node: compressing 99 MB at -9 takes minutes on two cores; redone only when the binary changed.
node_bin=$(command -v node)
if [[ ! -s $dev/node.xz || $node_bin -nt $dev/node.xz ]]; then
  xz -T2 -9 -c "$node_bin" > "$dev/node.xz.tmp" && mv "$dev/node.xz.tmp" "$dev/node.xz"
fi
node --version > "$dev/node.version"

echo '{ "type": "module", "private": true }' > "$dev/package.json"

# CommonJS inside an ESM bundle (piscina) reads require, __filename and __dirname: give it the bundle's own.
banner="import { createRequire as __tesseraCreateRequire } from 'node:module'; import { fileURLToPath as __tesseraFileURLToPath } from 'node:url'; import { dirname as __tesseraDirname } from 'node:path'; const require = __tesseraCreateRequire(import.meta.url); const __filename = __tesseraFileURLToPath(import.meta.url); const __dirname = __tesseraDirname(__filename);"
common=(--bundle --platform=node --format=esm --target=node20 --conditions=@tessera/source --external:@napi-rs/nice --log-level=warning "--banner:js=$banner")
"$esbuild" tools/device/scaling-16.ts "${common[@]}" --outfile="$dev/dist/bench/scaling-16.mjs"
"$esbuild" packages/scheduler/src/worker/tile.worker.ts "${common[@]}" --outfile="$dev/dist/bench/worker/tile.worker.js"
"$esbuild" node_modules/piscina/dist/worker.js "${common[@]}" --outfile="$dev/dist/bench/worker.js"

cp packages/tensor/wasm/tessera.wasm "$dev/wasm/tessera.wasm"
rm -f "$dev/native/tessera_native.node"
if compgen -G 'packages/native/build/Release/*.node' > /dev/null; then
  cp packages/native/build/Release/tessera_native.node "$dev/native/tessera_native.node"
  echo "native engine packed: $(stat -c '%y %s bytes' packages/native/build/Release/tessera_native.node)"
else
  echo 'native engine not built: the run measures wasm only'
fi
cp node_modules/@vladmandic/face-api/model/face_recognition_model-weights_manifest.json node_modules/@vladmandic/face-api/model/face_recognition_model.bin "$dev/face-api/model/"

cat > "$dev/run.sh" <<'EOF'
#!/usr/bin/env bash
# On the device: bash .device/run.sh [scaling-16 options]; results go to $OUT (default ./scaling-16-out).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$PWD/scaling-16-out}
mkdir -p "$out"
node=/tmp/tessera-node/node
mkdir -p /tmp/tessera-node
if [[ ! -x $node ]]; then
  if command -v xz > /dev/null; then xz -T0 -dc "$here/node.xz" > "$node"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$here/node.xz" "$node"; fi
  chmod +x "$node"
fi
"$node" --version
{ lscpu; echo; nproc; free -g; } > "$out/lscpu.txt" 2>&1 || true
grep -m1 'model name' /proc/cpuinfo || true
if [[ -f $here/native/tessera_native.node ]]; then export TESSERA_NATIVE_ADDON=$here/native/tessera_native.node; fi
"$node" "$here/dist/bench/scaling-16.mjs" --weights "$here/face-api/model" --out "$out" "$@" 2>&1 | tee "$out/log.txt"
EOF
chmod +x "$dev/run.sh"
du -sh "$dev"

if [[ ${1:-} != --no-check ]]; then
  # run.sh itself, on a copy outside the repository (no node_modules above it to fall back on), node unpacked from
  # node.xz as there; one more run loads the face net's weights from the packed folder (the quick models have none).
  check=$(mktemp -d)
  trap 'rm -rf "$check" /tmp/tessera-node' EXIT
  rm -rf /tmp/tessera-node
  cp -r "$dev" "$check/dev"
  (cd "$check" && OUT=$check/quick bash dev/run.sh --quick --threads 1,2 --native-threads 2 > /dev/null &&
   OUT=$check/face bash dev/run.sh --models face-recognition --batch 1 --threads 2 --native-threads 2 --reps 1 > /dev/null) ||
    { cat "$check"/*/log.txt >&2; echo 'check failed: the packed benchmark did not run (log above)' >&2; exit 1; }
  native_packed=$([[ -f $dev/native/tessera_native.node ]] && echo 1 || echo 0)
  for f in "$check/quick/scaling-16.json" "$check/face/scaling-16.json"; do
    # Fails on any error, a row whose bits differ from LocalExecutor's, or a packed native engine that did not load.
    node -e '
      const [file, nativePacked] = process.argv.slice(1);
      const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
      const bad = r.cases.filter((c) => !c.bitIdentical);
      if (r.errors.length || !r.cases.length || bad.length || (nativePacked === "1" && typeof r.engines.native === "string")) {
        console.error("check failed:", file, r.errors, bad, r.engines.native);
        process.exit(1);
      }
      console.log(`check ok (${file}): ${r.cases.length} rows; kernel on ${r.kernel.map((k) => k.engine).join(", ")}`);
    ' "$f" "$native_packed"
  done
fi
