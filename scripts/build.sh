#!/usr/bin/env bash
# Release build into build/; the CLI ends up at build/bin/bitnet. Extra arguments go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BITNET_BUILD_DIR:-build}
JOBS=${BITNET_JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS"
