#!/usr/bin/env bash
# Runs every benchmark binary of a build and prints, at the end, one table of every target line
# ("TARGET name: measured … (target …) -> PASS|FAIL") the benchmarks printed.
set -uo pipefail
build="${1:-build/bench}"
out=$(mktemp)
status=0
for b in "$build"/bench/*_bench; do
  [ -x "$b" ] || continue
  echo "=== $(basename "$b")"
  "$b" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>&1 | tee -a "$out" || status=1
  echo
done
echo "=== demo_time"
"$(dirname "$0")/demo_time.sh" 2>&1 | tee -a "$out" || status=1
echo
echo "=== targets (medians of repetitions measured in this run)"
grep -h '^TARGET' "$out" | sed 's/^TARGET /  /'
rm -f "$out"
exit $status
