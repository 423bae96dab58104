# Sourced by the serving benchmarks: sets BITNET and MODEL (the BitNet-b1.58-2B-4T shape with I2_S
# weights and a Q6_K head, synthesized on first use like scripts/bench.sh does), building first if
# needed, and prints the CPU the figures belong to.
BITNET=build/bin/bitnet
MODEL=${BITNET_BENCH_MODELS:-models}/2b4t-i2_s-q6_k.gguf
[ -x "$BITNET" ] || ./scripts/build.sh
if [ ! -f "$MODEL" ]; then
  mkdir -p "$(dirname "$MODEL")"
  "$BITNET" synth --preset 2b4t --type i2_s --embd-type q6_k --tokenizer tests/data/tokenizer/llama3.tiktoken \
    --no-pre -s 1 -q -o "$MODEL"
fi
lscpu | grep -E "Model name|^CPU\(s\)" || true
