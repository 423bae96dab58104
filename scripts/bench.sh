#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: synthesizes the BitNet-b1.58-2B-4T shape (random
# weights, official layout, Llama-3 vocabulary size) and runs `bitnet bench` for each weight
# layout and LM-head type. Usage: scripts/bench.sh [threads] [repetitions]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
REPS=${2:-5}
BITNET=build/bin/bitnet
MODELS=${BITNET_BENCH_MODELS:-models}
[ -x "$BITNET" ] || ./scripts/build.sh
mkdir -p "$MODELS"
VOCAB_ARGS=()
TIKTOKEN=tests/data/tokenizer/llama3.tiktoken
[ -f "$TIKTOKEN" ] && VOCAB_ARGS=(--tokenizer "$TIKTOKEN" --no-pre)

synth() {  # synth NAME EMBD_TYPE
  local out="$MODELS/2b4t-i2_s-$1.gguf"
  [ -f "$out" ] || "$BITNET" synth --preset 2b4t --type i2_s --embd-type "$2" "${VOCAB_ARGS[@]}" -s 1 -q -o "$out"
  echo "$out"
}
Q6K=$(synth q6_k q6_k)
F16=$(synth f16 f16)

run() {
  echo
  echo "\$ $BITNET bench $*"
  "$BITNET" bench "$@"
}
lscpu | grep -E "Model name|^CPU\(s\)|Thread" || true
"$BITNET" --version
run -m "$Q6K" -t "$THREADS" -r "$REPS" -p 128 -n 128
run -m "$Q6K" -t "$THREADS" -r "$REPS" -p 128 -n 128 --weights base3
run -m "$F16" -t "$THREADS" -r "$REPS" -p 128 -n 128
run -m "$F16" -t "$THREADS" -r "$REPS" -p 128 -n 128 --weights base3
run -m "$F16" -t "$THREADS" -r "$REPS" -p 0 -n 128 --head-type q6_k
run -m "$Q6K" -t "$THREADS" -r "$REPS" -p 128 -n 128 -d 2048
