#!/usr/bin/env bash
# Builds the GGUF reader's libFuzzer target with clang (ASan + UBSan) and fuzzes it for a bounded
# time (default 60 s) starting from the committed seed corpus. Any crash fails the run.
#   scripts/fuzz_smoke.sh [SECONDS] [BUILD_ROOT]
# Everything goes under BUILD_ROOT (default build/): the clang build in fuzz-build/, the run in
# fuzz-run/. A failing run keeps its crash reproducers there and prints the command replaying each.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_BUDGET=${1:-60}
BUILD_ROOT=$(realpath -m "${2:-build}")
BUILD_DIR=${BITNET_FUZZ_BUILD_DIR:-$BUILD_ROOT/fuzz-build}
RUN_DIR=$BUILD_ROOT/fuzz-run
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DBITNET_BUILD_FUZZ=ON -DBITNET_BUILD_TESTS=OFF -DBITNET_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" --target fuzz_gguf -j"$(nproc)" >/dev/null
FUZZER=$BUILD_DIR/bin/fuzz_gguf

rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR/corpus" "$RUN_DIR/artifacts"
cp fuzz/corpus/* "$RUN_DIR/corpus/"
status=0
"$FUZZER" "$RUN_DIR/corpus" -max_total_time="$SECONDS_BUDGET" -max_len=65536 -rss_limit_mb=2048 \
  -artifact_prefix="$RUN_DIR/artifacts/" -print_final_stats=1 >"$RUN_DIR/fuzz.log" 2>&1 || status=$?
tail -n 40 "$RUN_DIR/fuzz.log"
if [ "$status" -eq 0 ]; then
  rm -rf "$RUN_DIR"
  exit 0
fi
echo "fuzz: FAILED (exit $status); log and inputs kept in $RUN_DIR" >&2
for artifact in "$RUN_DIR"/artifacts/*; do
  [ -e "$artifact" ] || continue
  echo "fuzz: replay with: $FUZZER $artifact" >&2
done
exit 1
