#!/usr/bin/env bash
# Builds the GGUF reader's libFuzzer target with clang (ASan + UBSan) and fuzzes it for a bounded
# time (default 60 s) starting from the committed seed corpus. Any crash fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_BUDGET=${1:-60}
BUILD_DIR=${BITNET_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DBITNET_BUILD_FUZZ=ON -DBITNET_BUILD_TESTS=OFF -DBITNET_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" --target fuzz_gguf -j"$(nproc)" >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp fuzz/corpus/* "$WORK/"
"$BUILD_DIR/bin/fuzz_gguf" "$WORK" -max_total_time="$SECONDS_BUDGET" -max_len=65536 -rss_limit_mb=2048 \
  -artifact_prefix="$WORK/" -print_final_stats=1 2>&1 | tail -n 40
