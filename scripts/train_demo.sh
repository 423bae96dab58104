#!/usr/bin/env bash
# Trains the demo model that scripts/demo.sh runs: a 6-layer BitNet b1.58 (d = 256, 8 query / 4
# KV heads, FFN 640, context 256, 4096-token SentencePiece vocabulary; 4.1 M ternary and 1.1 M
# float parameters) on the public-domain novels in data/ (docs/TRAINING.md has the results).
# Fixed seed; about 40-60 minutes on 2 cores. Interrupted runs continue with BITNET_RESUME=1.
#
# Usage: scripts/train_demo.sh [extra bitnet train flags]
#   BITNET_TRAIN_OUT   output directory for the log and checkpoint (default build/train-demo)
#   BITNET_DEMO_MODEL  the GGUF to write (default models/novels-b158-5m.gguf)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BITNET_TRAIN_OUT:-build/train-demo}
MODEL=${BITNET_DEMO_MODEL:-models/novels-b158-5m.gguf}
mkdir -p "$OUT" "$(dirname "$MODEL")"
[ -x build/bin/bitnet ] || ./scripts/build.sh
# The corpus is committed compressed (data/PROVENANCE.md).
for part in train val; do
  [ -f "$OUT/$part.txt" ] || xz -dc "data/corpus/$part.txt.xz" > "$OUT/$part.txt"
done
resume=()
[ "${BITNET_RESUME:-0}" = 1 ] && resume=(--resume)
set -x
build/bin/bitnet train \
  --train-text "$OUT/train.txt" --val-text "$OUT/val.txt" --vocab data/tokenizer/spm4096.vocab \
  --layers 6 --embd 256 --ff 640 --heads 8 --kv-heads 4 --ctx 256 \
  --batch 8 --steps 3000 --warmup 150 --lr 3e-3 --lr2 1e-3 --wd 0.1 --clip 1.0 --seed 1 \
  --eval-every 250 --checkpoint "$OUT/demo.ckpt" --checkpoint-every 250 --log "$OUT/log.tsv" \
  --name novels-b158-5m -o "$MODEL" --threads 2 "${resume[@]}" "$@"
