#pragma once
// config.json of a Hugging Face ternary checkpoint, mapped to the GGUF architecture that runs it
// (shared/docs/hf-ternary-checkpoints.md):
//   BitNetForCausalLM (microsoft 2B-4T, packed or bf16)  -> bitnet-b1.58 (ReLU², sub-norms)
//   BitnetForCausalLM (1bitLLM 2024 reproductions)       -> bitnet (SiLU, sub-norms under other names)
//   LlamaForCausalLM + quant_method "bitnet" (HF1BitLLM, Falcon3/Falcon-E 1.58-bit) -> ternary-llama
// Anything the engine does not implement is refused with the key that asks for it.
#include <cstdint>
#include <optional>
#include <string>

namespace bitnet {

enum class HfFamily { bitnet_b158, bitnet_2024, ternary_llama };

struct HfConfig {
    HfFamily family = HfFamily::bitnet_b158;
    std::string arch;          // GGUF general.architecture
    std::string hidden_act;    // "relu2" or "silu"
    int64_t vocab_size = 0, hidden = 0, intermediate = 0, n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
    int64_t n_ctx = 0;
    float rope_theta = 10000.0f, rms_eps = 1e-5f;
    bool tied = false;         // tie_word_embeddings (the head is then the embedding)
    // Packed checkpoints: whether `weight_scale` multiplies (AutoBitLinear) or divides (BitLinear).
    bool scale_multiplies = false;
    std::optional<int64_t> bos_id, eos_id;  // config.json's, when given as single ids

    bool has_sub_norms() const { return family != HfFamily::ternary_llama; }
};

// Reads and validates DIR/config.json; throws Error naming the file and the key.
HfConfig read_hf_config(const std::string& path);
// Same, from the file's text.
HfConfig parse_hf_config(const std::string& text, const std::string& name);

}  // namespace bitnet
