#pragma once
// Sequences being evaluated: one KV cache and token history per sequence, shared forward-pass
// buffers and thread pool. decode() appends tokens to one sequence; decode_batch() evaluates
// tokens of several sequences in one forward pass (the server's continuous batching), with
// results bit-identical to decoding each sequence alone.
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
    int64_t n_ctx = 0;      // per sequence; 0: the model's training context, capped by available memory
    int64_t n_batch = 512;  // most tokens per forward pass
    int n_threads = 0;      // 0: all cores
    KvType kv_type = KvType::f16;
    int n_seq = 1;  // sequences, each with its own KV cache of n_ctx positions
};

// One token of a multi-sequence batch: appended to sequence `seq`; its logits are returned when
// `logits` is set.
struct BatchToken {
    int32_t seq = 0;
    int32_t token = 0;
    bool logits = false;
};

class InferenceContext {
public:
    InferenceContext(std::shared_ptr<const LoadedModel> model, const ContextOptions& options);

    // Evaluates `tokens` after sequence `seq`'s history (in n_batch pieces); logits() then holds
    // the last token's. Throws Error if they do not fit in the context or contain an unknown id;
    // the history is unchanged then.
    void decode(std::span<const int32_t> tokens, int seq = 0);
    // Same, writing the logits of every token to out[i * n_vocab ...].
    void decode_all(std::span<const int32_t> tokens, std::span<float> out, int seq = 0);
    // One forward pass over tokens of any sequences (at most n_batch; a sequence's tokens in
    // order). Row j of `out` receives the logits of the j-th token that asks for them.
    void decode_batch(std::span<const BatchToken> batch, std::span<float> out);

    std::span<const float> logits() const { return {logits_.data(), logits_.size()}; }
    const std::vector<int32_t>& history(int seq = 0) const { return sequences_[check_seq(seq)].history; }
    int64_t n_past(int seq = 0) const { return static_cast<int64_t>(history(seq).size()); }
    int64_t n_ctx() const { return n_ctx_; }  // per sequence
    int n_seq() const { return static_cast<int>(sequences_.size()); }
    int64_t n_batch() const { return forward_.n_batch(); }
    int n_threads() const { return pool_.size(); }
    int64_t n_vocab() const { return model_->config.n_vocab; }

    // Forgets a sequence (or everything after its first n tokens); later tokens are recomputed.
    void reset(int seq = 0) { sequences_[check_seq(seq)].history.clear(); }
    void truncate(int64_t n, int seq = 0);

    const LoadedModel& model() const { return *model_; }
    ThreadPool& pool() { return pool_; }
    size_t scratch_bytes() const { return forward_.scratch_bytes() + logits_.size() * sizeof(float); }
    // Set when the context size was reduced to fit memory (shown to the user).
    const std::string& note() const { return note_; }

private:
    struct Sequence {
        std::unique_ptr<KvCache> cache;
        std::vector<int32_t> history;
    };
    size_t check_seq(int seq) const;
    void check_fits(std::span<const int32_t> tokens, int seq) const;
    // Evaluates a piece of one sequence (at most n_batch tokens) at the end of its history.
    void eval_piece(std::span<const int32_t> piece, int seq, bool all_logits, std::span<float> out);

    std::shared_ptr<const LoadedModel> model_;
    std::string note_;
    int64_t n_ctx_;
    ThreadPool pool_;
    std::vector<Sequence> sequences_;
    Forward forward_;
    AlignedBuffer<float> logits_;
    // Per-pass scratch of decode_batch / eval_piece, sized n_batch once.
    std::vector<int64_t> positions_;
    std::vector<KvCache*> caches_;
    std::vector<int32_t> tokens_, logits_for_;
};

// Context size per sequence for the options: the requested one, or the model's, reduced (with a
// note) when the KV caches of n_seq sequences would not fit in the available memory. Throws Error
// naming both figures when a requested size cannot fit.
int64_t choose_context_size(const LoadedModel& model, const ContextOptions& options, std::string& note);

}  // namespace bitnet
