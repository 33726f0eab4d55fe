#!/usr/bin/env bash
# The whole test suite: set up, build and typecheck every project, then run every test target.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
npx nx run-many -t build typecheck --outputStyle=static
npx nx run-many -t test --parallel=1 --outputStyle=stream
