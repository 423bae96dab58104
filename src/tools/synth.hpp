#pragma once
// `bitnet synth`: random-weight models with exactly the official BitNet-b1.58 GGUF layout (same
// architecture string, metadata keys, tensor names and shapes, tied embeddings, I2_S tail).
// Their text is meaningless; they exist for tests and benchmarks on machines without weights.
#include <cstdint>
#include <optional>
#include <string>

#include "quant/types.hpp"

namespace bitnet {

struct SynthShape {
    int64_t n_layer = 0, n_embd = 0, n_ff = 0, n_head = 0, n_head_kv = 0, n_ctx = 0;
};

struct SynthOptions {
    std::string arch = "bitnet-b1.58";
    std::string preset = "tiny";        // tiny, small, 2b4t
    std::optional<int64_t> n_layer, n_embd, n_ff, n_head, n_head_kv, n_ctx;
    GgmlType type = GgmlType::I2_S;    // ternary matrices: i2_s, tq2_0, tq1_0, f16, f32
    GgmlType embd_type = GgmlType::F16; // token embedding / tied head: f16, q8_0, q6_k, f32
    std::string tokenizer_path;         // tiktoken file; empty: a built-in byte-level vocabulary
    bool include_pre = true;            // write tokenizer.ggml.pre (the official file has none)
    bool tensor_scales = false;         // a single-value F32 `<name>.scale` per ternary matrix
    uint64_t seed = 42;
    int n_threads = 0;                  // 0: all cores
    bool progress = true;
    std::string output;
};

// Shape of a preset with the explicit overrides applied; throws for unknown presets or shapes
// the chosen types cannot hold (e.g. TQ types need widths that are multiples of 256).
SynthShape synth_shape(const SynthOptions& options);

struct SynthResult {
    size_t n_tensors = 0;
    size_t file_bytes = 0;
    int64_t n_vocab = 0;
};

SynthResult synthesize(const SynthOptions& options);

}  // namespace bitnet
