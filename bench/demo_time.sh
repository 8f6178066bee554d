#!/usr/bin/env bash
# Times `make demo` from nothing: a fresh build directory (configure + build of the agent and
# the sandbox) and the whole demo run up to the written report. Debian packages are assumed
# installed (their download time depends on the mirror, not on this project).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
cmake -S "$root" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DOPSPILOT_TESTS=OFF > "$tmp/configure.log"
cmake --build "$tmp/build" -j "$(nproc)" --target opspilot opspilot-sandbox > "$tmp/build.log"
built=$(date +%s.%N)
"$root/examples/demo/run-demo.sh" "$tmp/build" > "$tmp/demo.log" 2>&1
done_=$(date +%s.%N)
[ -s "$root/demo-report.html" ] || { echo "demo wrote no report" >&2; exit 1; }
python3 - "$start" "$built" "$done_" <<'PY'
import sys
s, b, d = map(float, sys.argv[1:])
total = (d - s) / 60
print(f"make demo from a fresh build dir: build {(b - s) / 60:.1f} min, demo {(d - b) / 60:.1f} min")
print(f"TARGET make_demo_from_nothing: measured {total:.1f} min (target < 10 min) -> {'PASS' if total < 10 else 'FAIL'}")
PY
