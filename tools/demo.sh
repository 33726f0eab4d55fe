#!/usr/bin/env bash
# The main job: set up, build, and run the demo app. Extra arguments go to the app.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
npx nx run-many -t build --outputStyle=static >/dev/null
node apps/demo/dist/main.js "$@"
