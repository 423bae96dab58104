#pragma once
// Model hyper-parameters read from GGUF metadata and validated, for the supported
// architectures of the BitNet family.
#include <cstdint>
#include <string>

namespace bitnet {

class GgufFile;

enum class Arch {
    bitnet_b158,  // "bitnet-b1.58" and its earlier name "bitnet-25": BitNet-b1.58-2B-4T, ReLU^2 FFN
    bitnet,       // "bitnet": the 2024 1bitLLM models, SiLU-gated FFN
};

enum class FfnActivation { relu_sqr, silu };

struct ModelConfig {
    std::string arch_name;  // as stored in general.architecture
    Arch arch = Arch::bitnet_b158;
    FfnActivation ffn_act = FfnActivation::relu_sqr;
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

// Architectures this engine runs, for messages: "bitnet-b1.58, bitnet-25, bitnet".
const char* supported_architectures();

// Reads `<arch>.*` keys; throws Error naming the missing or inconsistent key.
ModelConfig read_model_config(const GgufFile& file);

}  // namespace bitnet
