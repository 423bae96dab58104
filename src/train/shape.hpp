#pragma once
// The shape of a model the trainer builds: the bitnet-b1.58 hyperparameters the GGUF records.
#include <cstdint>

namespace bitnet {

struct TrainShape {
    int64_t n_vocab = 0;
    int64_t n_layer = 0;
    int64_t n_embd = 0;
    int64_t n_ff = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t n_ctx = 0;
    float rope_theta = 500000.0f;
    float rms_eps = 1e-5f;

    int64_t head_dim() const { return n_embd / n_head; }
    int64_t q_dim() const { return n_embd; }
    int64_t kv_dim() const { return head_dim() * n_head_kv; }
    int64_t group() const { return n_head / n_head_kv; }
};

// Throws Error naming the first dimension that is not usable: non-positive or absurd sizes, heads
// that do not divide the width, and widths the engine's I2_S rows cannot hold (multiples of 128).
void validate_shape(const TrainShape& s);

}  // namespace bitnet
