#!/usr/bin/env bash
# Reproduces the serving figures in BENCHMARKS.md on the BitNet-b1.58-2B-4T shape (I2_S weights,
# Q6_K head; synthesized like scripts/bench.sh): batched decoding in the engine (`bitnet bench
# --parallel`), then through HTTP (bench/serve_bench.mjs against `bitnet serve` on loopback).
# Usage: scripts/bench_serving.sh [threads] [repetitions]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
REPS=${2:-5}
. scripts/bench_model.sh
run() {
  echo
  echo "\$ $BITNET $*"
  "$BITNET" "$@"
}
run bench -m "$MODEL" -t "$THREADS" -r "$REPS" -p 128 -n 128 --parallel 8
run bench -m "$MODEL" -t "$THREADS" -r "$REPS" -p 0 -n 64 --parallel 32

PORT=${BITNET_BENCH_PORT:-18765}
echo
echo "\$ $BITNET serve -m $MODEL -t $THREADS -np 32 -c 32768 --port $PORT"
"$BITNET" serve -m "$MODEL" -t "$THREADS" -np 32 -c 32768 --port "$PORT" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do sleep 0.2; done
echo "\$ node bench/serve_bench.mjs --url http://127.0.0.1:$PORT --repeats $REPS --parallel 8,32"
node bench/serve_bench.mjs --url "http://127.0.0.1:$PORT" --repeats "$REPS" --parallel 8,32
