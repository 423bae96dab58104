#pragma once
// Scalar reference implementations of every table entry. ISA tables reuse those they do not
// specialise.
#include "kernels/kernels.hpp"

namespace bitnet::scalar {

void quantize_acts(const float* x, int64_t k, WeightLayout layout, int8_t* q, ActScale* scale);
void ternary_matmul(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts, size_t act_stride,
                    const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride);
void quantize_q8_0(const float* x, int64_t k, BlockQ8_0* out);
void quantize_q8_k(const float* x, int64_t k, BlockQ8_K* out);
// The reference for every dense type (dispatches on w.type).
void dense_matmul(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const void* acts, size_t act_stride,
                  int64_t n_tokens, float* out, size_t out_stride);
// dense_matmul for every type: what an ISA table starts from.
DenseMatmulTable dense_matmul_table();
void rms_norm(const float* x, const float* w, int64_t n, float eps, float* y);
void softmax(float* x, int64_t n);
void rope_neox(float* x, int n_heads, int head_dim, const float* cos, const float* sin);
void relu_sqr_mul(float* g, const float* u, int64_t n);
void f32_to_f16(const float* x, int64_t n, uint16_t* out);
void attention(const float* q, int n_q, int head_dim, const void* k, const void* v, bool kv_f16, size_t kv_stride,
               int64_t n_pos, float scale, float* out, float* scratch);

}  // namespace bitnet::scalar
