#pragma once
// Causal GQA self-attention over a batch of equal-length sequences, forward and backward, each
// (sequence, kv head) pair computed as matrix products on the trainer's gemm:
//   S = Q·Kᵀ/√d, P = softmax(S), O = P·V;  dP = dO·Vᵀ, dV += Pᵀ·dO,
//   dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS·K/√d, dK += dSᵀ·Q/√d.
// Query heads sharing a kv head are handled by one unit, so dK and dV are summed in a fixed order.
#include <cstdint>
#include <vector>

#include "train/shape.hpp"

namespace bitnet {

class ThreadPool;

class TrainAttention {
public:
    TrainAttention(const TrainShape& shape, int n_threads);

    // q [T×q_dim], k, v [T×kv_dim] (after RoPE), T = n_seq·L; writes out [T×q_dim] and the
    // probabilities probs [n_seq × n_head × L × L] (kept for backward).
    void forward(ThreadPool& pool, const float* q, const float* k, const float* v, int64_t n_seq, int64_t L,
                 float* probs, float* out);
    // dq, dk, dv are overwritten.
    void backward(ThreadPool& pool, const float* q, const float* k, const float* v, const float* probs,
                  const float* dout, int64_t n_seq, int64_t L, float* dq, float* dk, float* dv);

private:
    TrainShape s_;
    struct Scratch {
        std::vector<float> dp, pack;
    };
    std::vector<Scratch> scratch_;
};

}  // namespace bitnet
