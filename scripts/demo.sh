#!/usr/bin/env bash
# The main job in one command: installs dependencies, builds Release, synthesizes a small demo
# model if absent, and generates text with it (printing tokens/s).
# Synthetic weights are random, so the text is meaningless; see the README for real models.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
BITNET=build/bin/bitnet
MODEL=${BITNET_DEMO_MODEL:-models/demo-small-i2_s.gguf}
if [ ! -f "$MODEL" ]; then
  mkdir -p "$(dirname "$MODEL")"
  echo "demo: synthesizing $MODEL (random weights, official BitNet-b1.58 layout)"
  "$BITNET" synth --preset small --type i2_s --seed 1 -o "$MODEL"
fi
# No pipe into head: under pipefail a reader that closes early fails the script (SIGPIPE).
summary=$("$BITNET" inspect "$MODEL")
sed -n 1,6p <<<"$summary"
echo
echo "demo: $BITNET run -m $MODEL -p \"Once upon a time\" -n 64"
"$BITNET" run -m "$MODEL" -p "Once upon a time" -n 64 --seed 1 --verbose
