#!/usr/bin/env bash
# Cross-builds the core, quant and kernel libraries and their tests for AArch64 and runs them under
# qemu-aarch64 (-cpu max: NEON with the dot-product extension), so the neon kernels are checked
# against the scalar reference on every test run. Uses build-arm/ (override with BITNET_ARM_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BITNET_ARM_BUILD_DIR:-build-arm}
JOBS=${BITNET_JOBS:-$(nproc)}
for tool in aarch64-linux-gnu-g++ qemu-aarch64; do
  command -v "$tool" >/dev/null || { echo "test_arm.sh: $tool not found" >&2; exit 1; }
done
cmake -S . -B "$BUILD_DIR" \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBITNET_KERNELS_ONLY=ON -DBITNET_BUILD_BENCH=OFF -DBITNET_BUILD_FUZZ=OFF -DBITNET_SANITIZE= >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS" --target test_core test_quant test_kernels
# (kernels.Dispatch.NeonTableRunsOnAarch64 fails if the emulated CPU cannot run the neon table,
# so its tests cannot silently turn into skips.)
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$JOBS"
