#!/usr/bin/env bash
# Runs a command under a private virtual X display so headless-gl can make a
# GL context. Xvfb picks a free display itself (-displayfd) and is stopped by
# PID when the command ends, whatever its exit status. If Xvfb is missing the
# command still runs: GL tests then say why they skip (or fail under
# TESSERA_REQUIRE_GL=1).
set -euo pipefail

if ! command -v Xvfb >/dev/null 2>&1; then
  echo "[with-xvfb] Xvfb not installed (run tools/setup.sh); running without a display" >&2
  exec "$@"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/tessera-xvfb.XXXXXX")
xpid=""
cleanup() {
  if [ -n "$xpid" ] && kill -0 "$xpid" 2>/dev/null; then
    kill "$xpid" 2>/dev/null || true
    wait "$xpid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkfifo "$dir/displayfd"
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp -noreset 3>"$dir/displayfd" 2>"$dir/xvfb.log" &
xpid=$!
display=""
if ! read -r -t 20 display <"$dir/displayfd" || [ -z "$display" ]; then
  echo "[with-xvfb] Xvfb did not start:" >&2
  cat "$dir/xvfb.log" >&2 || true
  exit 1
fi
export DISPLAY=":$display"
"$@"
