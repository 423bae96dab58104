#pragma once
// Forward and backward pass of bitnet-b1.58 in fp32 over a batch of sequences, exactly the layer
// the engine runs (src/model/arch/bitnet_b158.cpp): RMSNorm, BitLinear q/k/v, NeoX RoPE, causal
// GQA attention, attention sub-norm, BitLinear o, RMSNorm, ReLU²-gated FFN, FFN sub-norm,
// BitLinear down, final RMSNorm and the tied LM head.
//
// In QAT mode each BitLinear multiplies absmean-ternarized weights by per-token int8 activations
// (both dequantized to float), and the backward pass treats both quantizers as the identity
// (straight-through estimator): dX = dY·Wq, dW = dYᵀ·Xq.
#include <cstdint>
#include <vector>

#include "train/attention.hpp"
#include "train/params.hpp"

namespace bitnet {

class ThreadPool;

// n_seq sequences of len tokens each, rows t = seq·len + position. A negative target is not scored.
struct TrainBatch {
    const int32_t* inputs = nullptr;
    const int32_t* targets = nullptr;
    int64_t n_seq = 0;
    int64_t len = 0;
    int64_t tokens() const { return n_seq * len; }
};

class TrainModel {
public:
    // Buffers for batches of up to max_seq sequences of at most shape.n_ctx tokens. Throws Error
    // when they would not fit in memory_limit bytes.
    TrainModel(const ParamLayout& layout, ThreadPool& pool, int64_t max_seq, size_t memory_limit);

    // Bytes of activations and scratch a model of this shape needs for max_seq sequences.
    static size_t memory_needed(const TrainShape& shape, int64_t max_seq);

    // Mean cross-entropy over the scored targets. With want_grad the activations are kept for
    // backward(). Returns 0 when nothing is scored.
    double forward(const float* params, const TrainBatch& batch, bool qat, bool want_grad);
    // Adds ∂(mean loss)/∂params of the last forward(want_grad = true) to grads.
    void backward(const float* params, float* grads);

    int64_t last_scored() const { return n_scored_; }
    // Per-row losses of the last forward (0 for unscored rows).
    const std::vector<float>& row_loss() const { return row_loss_; }
    // The four BitLinear inputs of layer il as the last forward used them (after the activation
    // quantizer in QAT): attention in, attention output, FFN in, FFN down in. T rows each.
    std::vector<const float*> bitlinear_inputs(int64_t il) const;

private:
    struct LayerActs {
        float *x_in, *r1, *a1, *q, *k, *v, *probs, *att, *r2, *a2, *x_mid, *r3, *a3, *g, *u, *m, *r4, *a4;
    };
    const float* weight(const float* params, size_t tensor) const;
    void prepare_weights(const float* params, bool qat);
    void layer_forward(const float* params, int64_t il, bool qat);
    void layer_backward(const float* params, float* grads, int64_t il);
    void linear(const float* x, size_t tensor, const float* params, float* y, bool accumulate);
    void linear_backward(const float* dy, const float* x, size_t tensor, const float* params, float* grads, float* dx,
                         bool accumulate_dx);

    const ParamLayout& layout_;
    TrainShape s_;
    ThreadPool& pool_;
    TrainAttention attention_;
    int64_t max_seq_;
    int64_t n_seq_ = 0, len_ = 0, T_ = 0, n_scored_ = 0;
    std::vector<int32_t> inputs_;
    std::vector<float> eff_;  // weights as the forward uses them (ternarized in QAT)
    std::vector<float> acts_;
    std::vector<LayerActs> layers_;
    float *x_final_ = nullptr, *rf_ = nullptr, *zf_ = nullptr, *logits_ = nullptr;
    std::vector<float> rope_cos_, rope_sin_, row_loss_;
    std::vector<int32_t> targets_;
    // Backward scratch.
    std::vector<float> dx_, da_, dq_, dk_, dv_, datt_, dm_, dg_, du_, pack_;
};

}  // namespace bitnet
