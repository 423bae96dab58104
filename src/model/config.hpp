#pragma once
// Model hyper-parameters read from GGUF metadata and validated: the `<arch>.*` keys every
// architecture shares are read here, the rest by the architecture (src/model/arch/).
#include <cstdint>
#include <string>

#include "model/arch/arch.hpp"

namespace bitnet {

class GgufFile;

// Gate activation of a gated feed-forward block: relu(g)^2 * u or silu(g) * u.
enum class FfnActivation { relu_sqr, silu };

struct ModelConfig {
    std::string arch_name;  // as stored in general.architecture
    const Architecture* arch = nullptr;
    FfnActivation ffn_act = FfnActivation::relu_sqr;  // set by the architecture
    int64_t n_vocab = 0;
    int64_t n_ctx_train = 0;
    int64_t n_embd = 0;
    int64_t n_layer = 0;
    int64_t n_ff = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t head_dim = 0;
    int64_t n_rot = 0;
    float rope_theta = 10000.0f;
    float rms_eps = 1e-5f;

    int64_t q_dim() const { return n_head * head_dim; }
    int64_t kv_dim() const { return n_head_kv * head_dim; }
    int64_t gqa_group() const { return n_head / n_head_kv; }
};

// Reads `<arch>.*` keys; throws Error naming the missing or inconsistent key.
ModelConfig read_model_config(const GgufFile& file);

}  // namespace bitnet
