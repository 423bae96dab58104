#!/usr/bin/env bash
# The main job in one command: installs dependencies, builds Release, and generates text with the
# small BitNet b1.58 model trained on public-domain novels that ships in models/ (made by
# scripts/train_demo.sh; docs/TRAINING.md), printing tokens/s.
# BITNET_DEMO_MODEL=FILE runs another GGUF; BITNET_DEMO_SYNTHETIC=1 uses a random-weight model in
# the official layout instead (meaningless text; the benchmarks' model).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
BITNET=build/bin/bitnet
PROMPT=${BITNET_DEMO_PROMPT:-"It was a fine morning, and Elizabeth"}
if [ "${BITNET_DEMO_SYNTHETIC:-0}" = 1 ]; then
  MODEL=${BITNET_DEMO_MODEL:-models/demo-small-i2_s.gguf}
  if [ ! -f "$MODEL" ]; then
    mkdir -p "$(dirname "$MODEL")"
    echo "demo: synthesizing $MODEL (random weights, official BitNet-b1.58 layout)"
    "$BITNET" synth --preset small --type i2_s --seed 1 -o "$MODEL"
  fi
else
  MODEL=${BITNET_DEMO_MODEL:-models/novels-b158-5m.gguf}
fi
# No pipe into head: under pipefail a reader that closes early fails the script (SIGPIPE).
summary=$("$BITNET" inspect "$MODEL")
sed -n 1,6p <<<"$summary"
echo
echo "demo: $BITNET run -m $MODEL -p \"$PROMPT\" -n 96 --temp 0.7 --seed 1"
"$BITNET" run -m "$MODEL" -p "$PROMPT" -n 96 --temp 0.7 --seed 1 --verbose
