#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for FUZZ_SECONDS.
#   usage: tests/fuzz/run.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/build/fuzz}"
seconds="${FUZZ_SECONDS:-60}"
mkdir -p "$out"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I"$root" -I/usr/include/eigen3)
build() {
  local name=$1; shift
  echo "building $name"
  clang++ "${flags[@]}" "$root/tests/fuzz/$name.cpp" "$@" -o "$out/$name"
}
build exposition_fuzz "$root/agent/source/exposition.cpp"
build promql_fuzz "$root/agent/source/promql_parse.cpp" "$root/agent/source/promql_eval.cpp"
build config_fuzz "$root"/agent/config/*.cpp "$root/policies/diagnostic_core.cpp" "$root/policies/yaml_common.cpp" -lyaml-cpp
build policy_fuzz "$root"/policies/*.cpp -lyaml-cpp
for f in exposition_fuzz promql_fuzz config_fuzz policy_fuzz; do
  # Seed the policy fuzzer with the bundled examples (policies and table tests).
  if [ "$f" = policy_fuzz ]; then mkdir -p "$out/corpus-$f" && cp "$root"/policies/examples/*.yaml "$out/corpus-$f/"; fi
  mkdir -p "$out/corpus-$f"
  echo "running $f for ${seconds}s"
  "$out/$f" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 "$out/corpus-$f" \
    > "$out/$f.log" 2>&1 || { tail -n 40 "$out/$f.log"; exit 1; }
  grep -E "stat::number_of_executed_units|Done" "$out/$f.log" | tail -n 2
done
