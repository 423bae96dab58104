#pragma once
// A model loaded from a GGUF file: the mapping, validated hyper-parameters, tokenizer and
// kernel-ready weights. Immutable after loading; shared by every session that uses it.
#include <memory>
#include <string>

#include "gguf/gguf_file.hpp"
#include "model/config.hpp"
#include "model/weights.hpp"
#include "tokenizer/tokenizer.hpp"

namespace bitnet {

struct ModelLoadOptions {
    WeightLoadOptions weights;
    int n_threads = 0;  // threads for load-time conversion; 0: all cores
};

struct LoadedModel {
    GgufFile file;
    ModelConfig config;
    Tokenizer tokenizer;
    ModelWeights weights;
    double load_seconds = 0.0;

    // Throws Error naming the problem (missing file, corrupt file, unsupported architecture,
    // missing tokenizer metadata, inconsistent shapes, ...).
    static std::shared_ptr<const LoadedModel> load(const std::string& path, const ModelLoadOptions& options = {});

    // Number of ternary + dense parameters (for reports).
    int64_t n_params() const;
};

}  // namespace bitnet
