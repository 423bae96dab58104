#pragma once
// Row-wise forward and backward operations of the training graph (T rows of D floats each),
// split over tokens across the pool's threads. Reductions over tokens (norm weight gradients) are
// split over columns instead, so every sum runs in one fixed order and results never depend on
// the thread count.
#include <cstddef>
#include <cstdint>

namespace bitnet {

class ThreadPool;

// y = w ⊙ x / sqrt(mean(x²) + eps); keeps 1/rms per row in rstd (sum of squares in double, as the
// engine's rms_norm).
void rmsnorm_forward(ThreadPool& pool, const float* x, const float* w, int64_t T, int64_t D, float eps, float* y,
                     float* rstd);
// dx (=|+=) ∂L/∂x, dw += ∂L/∂w given dy = ∂L/∂y.
void rmsnorm_backward(ThreadPool& pool, const float* dy, const float* x, const float* w, const float* rstd, int64_t T,
                      int64_t D, float* dx, bool accumulate_dx, float* dw);

// BitNet's per-token activation quantizer, applied in place and returned dequantized:
// s = 127 / max(max|x|, 1e-5), x ← clamp(round_half_even(x·s), -128, 127) / s.
void act_quant(ThreadPool& pool, float* x, int64_t T, int64_t D);

// Absmean ternarization of a whole tensor, dequantized: out = clamp(round_half_even(w·s), -1, 1) / s
// with s = 1 / max(mean|w|, 1e-5), the mean in double (exactly the engine's ternarize_absmean).
void weight_quant(const float* w, size_t n, float* out);

// NeoX RoPE over rows of `n_heads` heads of `head_dim` at positions t % seq_len, with tables
// cos/sin[pos * head_dim/2 + i]; backward rotates by the opposite angle.
void rope_forward(ThreadPool& pool, float* x, int64_t T, int64_t seq_len, int64_t n_heads, int64_t head_dim,
                  const float* cos, const float* sin);
void rope_backward(ThreadPool& pool, float* dx, int64_t T, int64_t seq_len, int64_t n_heads, int64_t head_dim,
                   const float* cos, const float* sin);
// The tables for positions 0 .. n_pos-1 (angles in double, as the engine).
void rope_tables(int64_t n_pos, int64_t head_dim, float theta, float* cos, float* sin);

// m = relu(g)² ⊙ u and its backward (dg, du from dm).
void relu_sqr_gate_forward(ThreadPool& pool, const float* g, const float* u, size_t n, float* m);
void relu_sqr_gate_backward(ThreadPool& pool, const float* dm, const float* g, const float* u, size_t n, float* dg,
                            float* du);

// Softmax cross-entropy over rows of V logits. Rows whose target is negative are not scored.
// Replaces the logits by ∂(mean loss)/∂logits (zero for unscored rows) and writes each scored
// row's loss to row_loss (0 elsewhere). Returns the number of scored rows.
int64_t cross_entropy(ThreadPool& pool, float* logits, const int32_t* targets, int64_t T, int64_t V, float* row_loss,
                      bool want_grad);

}  // namespace bitnet
