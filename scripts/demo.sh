#!/usr/bin/env bash
# Installs dependencies, builds Release, makes a small synthetic demo model if absent and
# inspects it. Synthetic weights are random: they exist to exercise the engine, not to talk.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
echo "demo: not yet wired"
