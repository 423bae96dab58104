#pragma once
// bitnet — C++ API for running ternary (1.58-bit) BitNet language models from GGUF files.
//
//   auto model = bitnet::Model::load("ggml-model-i2_s.gguf");
//   bitnet::Session session(model);
//   session.generate("The capital of France is", {.max_tokens = 32},
//                    [](std::string_view text) { std::cout << text; return true; });
//
// All failures throw bitnet::Error with a message naming the problem. A Model is immutable and
// can be shared by any number of Sessions; a Session (one sequence, its KV cache and threads) is
// used by one thread at a time. No global state.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bitnet/error.hpp"

namespace bitnet {

struct LoadedModel;
class InferenceContext;
class Sampler;

struct ModelOptions {
    int n_threads = 0;                   // threads for load-time conversion (0: all cores)
    std::string weight_layout = "auto";  // ternary weights in memory: "auto", "bits2", "base3" (1.6-bit)
    std::string head_type;               // requantize the LM head: "", "f16", "q8_0", "q6_k"
    // Stream the weights in place from the file mapping where possible (faster start, page cache
    // shared between processes) instead of copying them to aligned huge-page memory (faster decode).
    bool use_mmap = false;
};

struct ModelInfo {
    std::string architecture;  // general.architecture, e.g. "bitnet-b1.58"
    std::string name;          // general.name (may be empty)
    int64_t n_vocab = 0, n_ctx_train = 0, n_embd = 0, n_layer = 0, n_ff = 0, n_head = 0, n_head_kv = 0;
    int64_t n_params = 0;
    size_t file_bytes = 0;
    std::string weight_layout;  // "bits2" or "base3"
    std::string head_type;      // "f16", "q8_0", ...
    std::string tokenizer;      // e.g. "gpt2/llama3"
};

class Model {
public:
    static std::shared_ptr<Model> load(const std::string& path, const ModelOptions& options = {});

    ModelInfo info() const;
    // Special-token text becomes its token only with parse_special (never for untrusted text).
    std::vector<int32_t> tokenize(std::string_view text, bool add_bos = true, bool parse_special = false) const;
    // Raw bytes of the tokens (special tokens as their text unless skip_special).
    std::string detokenize(std::span<const int32_t> tokens, bool skip_special = false) const;
    bool is_end_of_generation(int32_t token) const;
    int32_t bos() const;
    int32_t eos() const;
    int32_t eot() const;  // <|eot_id|>, or -1

    // The engine's internal representation (for tools built on the library's internal headers).
    const std::shared_ptr<const LoadedModel>& shared_internals() const { return impl_; }

private:
    explicit Model(std::shared_ptr<const LoadedModel> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const LoadedModel> impl_;
};

struct SessionOptions {
    int64_t n_ctx = 0;      // 0: the model's training context, capped by available memory
    int64_t n_batch = 512;  // prompt tokens per forward pass
    int n_threads = 0;      // 0: all cores
    bool kv_cache_f32 = false;  // default F16
};

struct SamplingOptions {
    float temperature = 0.8f;  // <= 0: greedy
    int32_t top_k = 40;
    float top_p = 0.95f;
    float min_p = 0.05f;
    float repeat_penalty = 1.0f;
    int32_t repeat_last_n = 64;
    float frequency_penalty = 0.0f;
    float presence_penalty = 0.0f;
    uint64_t seed = 0;  // same seed, same text
};

struct GenerateOptions {
    int32_t max_tokens = -1;        // -1: until an end token or the context is full
    std::vector<std::string> stop;  // stop strings (not part of the result)
    SamplingOptions sampling;
};

struct Generation {
    std::string text;
    std::vector<int32_t> tokens;
    std::string stop_reason;  // "eos", "length", "stop", "context_full", "cancelled"
    int64_t prompt_tokens = 0;
    double prompt_seconds = 0.0;
    double generate_seconds = 0.0;
};

// Receives each piece of streamed text (always whole UTF-8 characters); return false to stop.
using TextCallback = std::function<bool(std::string_view text)>;

class Session {
public:
    explicit Session(std::shared_ptr<const Model> model, const SessionOptions& options = {});
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;

    // Low level: evaluate tokens after the current ones; logits() then holds the next-token
    // scores (n_vocab floats) of the last one.
    void decode(std::span<const int32_t> tokens);
    std::span<const float> logits() const;
    // Samples from logits() with the session's sampler (created from `options` on first use or
    // when the options change).
    int32_t sample(const SamplingOptions& options = {});

    // Completes `prompt` (tokenized with BOS as the model asks, specials parsed) after anything
    // already in the session.
    Generation generate(std::string_view prompt, const GenerateOptions& options = {}, const TextCallback& on_text = {});
    // One chat turn in the model's trained format; the conversation stays in the session.
    Generation chat(std::string_view user_message, const GenerateOptions& options = {},
                    const TextCallback& on_text = {});
    void set_system_prompt(std::string system_prompt);

    int64_t n_past() const;
    int64_t n_ctx() const;
    const std::vector<int32_t>& tokens() const;
    void reset();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Version string and the kernel instruction set this process uses (e.g. "avx512").
std::string version();
std::string kernel_isa();

}  // namespace bitnet
