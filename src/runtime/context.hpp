#pragma once
// One sequence being evaluated: KV cache, forward-pass buffers, thread pool and the token
// history. decode() appends tokens; logits() are those of the last evaluated token.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/thread_pool.hpp"
#include "model/forward.hpp"
#include "model/kv_cache.hpp"
#include "runtime/loaded_model.hpp"

namespace bitnet {

struct ContextOptions {
    int64_t n_ctx = 0;      // 0: the model's training context, capped by available memory
    int64_t n_batch = 512;  // tokens evaluated per forward pass while processing a prompt
    int n_threads = 0;      // 0: all cores
    KvType kv_type = KvType::f16;
};

class InferenceContext {
public:
    InferenceContext(std::shared_ptr<const LoadedModel> model, const ContextOptions& options);

    // Evaluates `tokens` after the current history (in n_batch pieces). Throws Error if they do
    // not fit in the context or contain an unknown id; the history is unchanged then.
    void decode(std::span<const int32_t> tokens);
    // Same, writing the logits of every token to out[i * n_vocab ...].
    void decode_all(std::span<const int32_t> tokens, std::span<float> out);

    std::span<const float> logits() const { return {logits_.data(), logits_.size()}; }
    const std::vector<int32_t>& history() const { return history_; }
    int64_t n_past() const { return static_cast<int64_t>(history_.size()); }
    int64_t n_ctx() const { return cache_.n_ctx(); }
    int64_t n_batch() const { return forward_.n_batch(); }
    int n_threads() const { return pool_.size(); }
    int64_t n_vocab() const { return model_->config.n_vocab; }

    // Forgets everything (or everything after the first n tokens); later tokens are recomputed.
    void reset() { history_.clear(); }
    void truncate(int64_t n);

    const LoadedModel& model() const { return *model_; }
    const std::shared_ptr<const LoadedModel>& model_ptr() const { return model_; }
    ThreadPool& pool() { return pool_; }
    size_t kv_bytes() const { return cache_.bytes(); }
    size_t scratch_bytes() const { return forward_.scratch_bytes() + logits_.size() * sizeof(float); }
    // Set when the context size was reduced to fit memory (shown to the user).
    const std::string& note() const { return note_; }

private:
    void check_fits(std::span<const int32_t> tokens) const;

    std::shared_ptr<const LoadedModel> model_;
    std::string note_;
    ThreadPool pool_;
    KvCache cache_;
    Forward forward_;
    AlignedBuffer<float> logits_;
    std::vector<int32_t> history_;
};

// Context size for the options: the requested one, or the model's, reduced (with a note) when
// its KV cache would not fit in the available memory.
int64_t choose_context_size(const LoadedModel& model, const ContextOptions& options, std::string& note);

}  // namespace bitnet
