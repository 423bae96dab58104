#!/usr/bin/env bash
# Installs dependencies, builds (Release, warnings as errors) and runs the whole test suite:
# unit tests, CLI integration tests, the NumPy reference comparison, the NEON kernels under
# qemu-aarch64, and a bounded fuzzing run. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Every test must be registered: a missing tool is a configure error here, not a silent skip.
./scripts/build.sh -DBITNET_REQUIRE_ALL_TESTS=ON
JOBS=${BITNET_JOBS:-$(nproc)}
ctest --test-dir build --output-on-failure -j"$JOBS"
