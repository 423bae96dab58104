#!/usr/bin/env bash
# Single-stream server overhead for BENCHMARKS.md: alternates `bitnet bench` tg128 with the
# decode rate of a greedy 128-token reply streamed through `bitnet serve` (bench/serve_bench.mjs
# --parts single), on the same model and threads, and prints the ratio of each pair. The server
# stays up (idle, sleeping) while the engine-only bench runs.
# Usage: scripts/bench_http_overhead.sh [threads] [pairs]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
PAIRS=${2:-4}
. scripts/bench_model.sh
PORT=${BITNET_BENCH_PORT:-18766}
"$BITNET" serve -m "$MODEL" -t "$THREADS" -np 4 -c 4096 --port "$PORT" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do sleep 0.2; done
echo "pair | bitnet bench tg128 (t/s) | HTTP, median of 3 (t/s) | HTTP / bench"
for i in $(seq 1 "$PAIRS"); do
  engine=$("$BITNET" bench -m "$MODEL" -t "$THREADS" -p 0 -n 128 -r 3 --json | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).find(t=>t.test==="tg128").median_ts.toFixed(2)))')
  http=$(node bench/serve_bench.mjs --url "http://127.0.0.1:$PORT" --repeats 3 --parts single |
    sed -n 's/.*decode \([0-9.]*\) t\/s.*/\1/p')
  echo "$i | $engine | $http | $(node -e "console.log((100*$http/$engine).toFixed(1)+' %')")"
done
