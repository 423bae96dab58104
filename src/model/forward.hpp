#pragma once
// The bitnet-b1.58 transformer forward pass over a batch of tokens (docs/ARCHITECTURE.md):
//   x = embed(token)
//   per layer:  x += Wo · subnorm(attention(RoPE(Wq·n), RoPE(Wk·n), Wv·n)),  n = norm(x)
//               x += Wdown · subnorm(act(Wgate·m) * (Wup·m)),                  m = norm(x)
//   logits = head · norm(x)
// Every W· is a BitLinear: per-token int8 activations, exact int32 ternary dot products.
#include <cstdint>
#include <span>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "kernels/kernels.hpp"
#include "model/config.hpp"
#include "model/kv_cache.hpp"
#include "model/weights.hpp"

namespace bitnet {

class ThreadPool;

class Forward {
public:
    Forward(const ModelConfig& config, const ModelWeights& weights, int64_t n_batch);

    int64_t n_batch() const { return n_batch_; }
    int64_t n_vocab() const { return weights_.n_vocab; }

    // Evaluates `tokens` (at most n_batch) at positions [pos, pos + size) and stores their K/V.
    // Logits: for the last token only (all_logits = false, logits.size() >= n_vocab) or for
    // every token (row t at t * n_vocab). Throws Error for a bad token id or a full cache.
    void eval(std::span<const int32_t> tokens, int64_t pos, KvCache& cache, ThreadPool& pool, bool all_logits,
              std::span<float> logits);

    // Bytes of working memory held (activation buffers).
    size_t scratch_bytes() const;

private:
    struct NoEpilogue {
        void operator()(size_t, size_t) const {}
    };

    void embed(std::span<const int32_t> tokens);
    void norm(ThreadPool& pool, int64_t n, const float* in, int64_t dim, const float* weight);
    void quantize(ThreadPool& pool, int64_t n, WeightLayout layout);
    const int8_t* act_data(WeightLayout layout) const;
    const ActScale* act_scales(WeightLayout layout) const;
    // Runs BitLinears that share the current normed input; each thread then applies `epilogue`
    // to the row range [begin, end) it computed of the first matrix.
    template <class Epilogue = NoEpilogue>
    void matmul(ThreadPool& pool, int64_t n, std::initializer_list<std::pair<const TernaryMatrix*, float*>> mats,
                Epilogue&& epilogue = {});
    void attention_block(const LayerWeights& L, int64_t layer, int64_t n, int64_t pos, KvCache& cache, ThreadPool& pool);
    void ffn_block(const LayerWeights& L, int64_t n, ThreadPool& pool);
    void head(ThreadPool& pool, int64_t first, int64_t count, std::span<float> logits);

    const ModelConfig& c_;
    const ModelWeights& weights_;
    const KernelTable& k_;
    int64_t n_batch_;
    int64_t act_stride_;  // bytes per token in acts_ (max padded K of any BitLinear)

    AlignedBuffer<float> x_;     // residual stream [n_batch][n_embd]
    AlignedBuffer<float> xn_;    // normed input of the current BitLinear [n_batch][max(n_embd, n_ff)]
    AlignedBuffer<int8_t> acts_;  // quantized activations [layout][n_batch][act_stride]
    AlignedBuffer<ActScale> scales_;
    AlignedBuffer<float> q_, k_cur_, v_cur_, att_;  // [n_batch][q_dim / kv_dim]
    AlignedBuffer<float> gate_, up_;              // [n_batch][n_ff]
    AlignedBuffer<float> proj_;                   // [n_batch][n_embd]: output of Wo / Wdown
    AlignedBuffer<float> rope_cos_, rope_sin_;    // [n_batch][head_dim / 2]
    AlignedBuffer<float> head_acts_;              // f32 or block-quantized head activations
    std::vector<AlignedBuffer<float>> att_scratch_;  // per thread
    int64_t att_scratch_ctx_ = 0;
    int64_t norm_dim_ = 0;                 // row length of xn_
    bool quantized_[2] = {false, false};  // acts_ holds xn_ quantized for bits2 / base3
};

}  // namespace bitnet
