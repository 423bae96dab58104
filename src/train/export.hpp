#pragma once
// Writes trained weights as a bitnet-b1.58 GGUF the engine runs: every BitLinear ternarized with
// the absmean rule (the same quantizer the QAT forward used) and packed as I2_S, the tied token
// embedding as F16, norms as F32, plus the tokenizer vocabulary.
#include <string>

#include "train/params.hpp"

namespace bitnet {

struct Vocab;

void export_gguf(const ParamLayout& layout, const float* params, const Vocab& vocab, const std::string& name,
                 const std::string& path);

}  // namespace bitnet
