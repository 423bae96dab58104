#pragma once
// `bitnet convert`: a Hugging Face ternary checkpoint directory (config.json, safetensors, tokenizer
// files) -> one GGUF file the engine runs. Tensors are converted one at a time while the file is
// written, and each source tensor's pages are dropped once done, so memory stays at about one
// tensor whatever the checkpoint's size.
#include <cstddef>
#include <cstdint>
#include <string>

#include "quant/types.hpp"

namespace bitnet {

struct ConvertOptions {
    std::string input_dir;
    std::string output;
    std::string tokenizer_dir;         // empty: the input directory
    GgmlType type = GgmlType::I2_S;    // the projections: i2_s, tq1_0, tq2_0 or f16
    GgmlType head_type = GgmlType::F16; // the LM head (the tied embedding): f16, q8_0, q6_k or f32
    bool progress = true;
};

struct ConvertResult {
    std::string arch;
    size_t n_tensors = 0;
    size_t file_bytes = 0;
    size_t checkpoint_bytes = 0;
    int64_t n_vocab = 0;
};

// Throws Error naming the file, key or tensor at fault; nothing is written unless every check passes.
ConvertResult convert_checkpoint(const ConvertOptions& options);

}  // namespace bitnet
