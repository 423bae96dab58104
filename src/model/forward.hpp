#pragma once
// The forward pass over a batch of tokens that may belong to different sequences (each with its
// own KV cache and position), and the building blocks the architectures' layer functions are
// written in (src/model/arch/):
//
//   x = embed(tokens)
//   for each layer: arch.layer(forward, weights of the layer)     e.g. bitnet_b158.cpp
//   logits = head · rms_norm(x)                                    for the tokens that ask
//
// Every result for a token depends only on that token, its sequence's cache and the weights: the
// kernels compute each (row, token) value with the same operations whatever else is in the call,
// so a sequence's logits are bit-identical alone, in a batch, and for any thread count.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "kernels/kernels.hpp"
#include "model/config.hpp"
#include "model/kv_cache.hpp"
#include "model/weights.hpp"

namespace bitnet {

class ThreadPool;

// One forward pass: token i is at position positions[i] of the sequence whose cache is
// caches[i]; tokens of one sequence come in position order. Logits are computed for the tokens
// listed in `logits_for` (indices into tokens), row j of the output for logits_for[j].
struct ForwardBatch {
    std::span<const int32_t> tokens;
    std::span<const int64_t> positions;
    std::span<KvCache* const> caches;
    std::span<const int32_t> logits_for;
};

// Rows of activations, one per token of the batch: row t at data + t * dim.
struct Rows {
    float* data;
    int64_t dim;
    float* row(int64_t t) const { return data + t * dim; }
};

// Rows quantized to int8 for the BitLinears (in every weight layout the model uses).
struct QuantizedRows {
    const int8_t* data[2];  // by WeightLayout
    const ActScale* scales[2];
    size_t stride;
};

class Forward {
public:
    // n_batch: most tokens per pass; max_ctx: the largest cache it will attend over.
    Forward(const ModelConfig& config, const ModelWeights& weights, int64_t n_batch, int64_t max_ctx, int n_threads);

    int64_t n_batch() const { return n_batch_; }
    int64_t n_vocab() const { return weights_.n_vocab; }

    // Evaluates the batch, stores its K/V in the caches, writes logits_for.size() rows of n_vocab.
    // Throws Error for a bad token id, a position outside its cache or a batch that is too large.
    void eval(const ForwardBatch& batch, ThreadPool& pool, std::span<float> logits);

    // Bytes of working memory held (activation buffers).
    size_t scratch_bytes() const;

    // ---- Building blocks for the layer functions (valid inside eval) ----
    const ModelConfig& config() const { return c_; }
    Rows x() { return rows(x_, c_.n_embd); }  // the residual stream
    Rows q() { return rows(q_, c_.q_dim()); }
    Rows k() { return rows(k_cur_, c_.kv_dim()); }
    Rows v() { return rows(v_cur_, c_.kv_dim()); }
    Rows att() { return rows(att_, c_.q_dim()); }   // attention output
    Rows gate() { return rows(gate_, c_.n_ff); }   // FFN hidden (gate, then gate * up)
    Rows up() { return rows(up_, c_.n_ff); }

    // Normalised copy of `in` (RMSNorm with `weight`), in a buffer reused by the next call.
    Rows rms_norm(Rows in, const float* weight);
    // Per-token int8 absmax quantization (BitLinear's activation quantizer), reused likewise.
    QuantizedRows quantize(Rows in);
    // out = W · a for each pair (matrices sharing one input run as one job).
    void bitlinear(const QuantizedRows& a, std::initializer_list<std::pair<const TernaryMatrix*, Rows>> mats);
    // residual += W · a
    void bitlinear_add(const QuantizedRows& a, const TernaryMatrix& w, Rows residual);
    // gate = act(W_gate · a) * (W_up · a)
    void bitlinear_gated(const QuantizedRows& a, const TernaryMatrix& w_gate, const TernaryMatrix& w_up,
                         FfnActivation act);
    // NeoX RoPE of q and k at each token's position.
    void rope(Rows q, Rows k);
    // Appends k and v to each token's cache at its position.
    void store_kv(int64_t layer, Rows k, Rows v);
    // out = causal GQA attention of q over each token's cache (positions 0 .. its own).
    void attention(int64_t layer, Rows q, Rows out);

private:
    static Rows rows(AlignedBuffer<float>& b, int64_t dim) { return {b.data(), dim}; }
    template <class PerRows>
    void bitlinear_rows(const QuantizedRows& a, std::initializer_list<std::pair<const TernaryMatrix*, Rows>> mats,
                        PerRows&& after);
    void embed();
    void rope_tables();
    void head(std::span<float> logits);

    const ModelConfig& c_;
    const ModelWeights& weights_;
    const KernelTable& k_;
    int64_t n_batch_;
    int64_t max_ctx_;
    int64_t act_stride_;  // bytes per token of quantized activations (max padded K of any BitLinear)

    // The batch being evaluated (set by eval).
    const ForwardBatch* batch_ = nullptr;
    ThreadPool* pool_ = nullptr;
    int64_t n_ = 0;

    AlignedBuffer<float> x_;               // residual stream [n_batch][n_embd]
    AlignedBuffer<float> xn_;              // rms_norm output [n_batch][max(n_embd, q_dim, n_ff)]
    AlignedBuffer<int8_t> acts_;           // quantize output [layout][n_batch][act_stride]
    AlignedBuffer<ActScale> scales_;       // [layout][n_batch]
    AlignedBuffer<float> q_, k_cur_, v_cur_, att_;  // [n_batch][q_dim / kv_dim]
    AlignedBuffer<float> gate_, up_;               // [n_batch][n_ff]
    AlignedBuffer<float> proj_;                    // [n_batch][n_embd]: W · a before the residual add
    AlignedBuffer<float> rope_cos_, rope_sin_;     // [n_batch][head_dim / 2]
    AlignedBuffer<uint8_t> head_acts_;             // head activations in the head type's format
    std::vector<AlignedBuffer<float>> att_scratch_;  // per thread: scores over max_ctx positions
};

}  // namespace bitnet
