#pragma once
// Declarations of the per-ISA kernel variants that kernels_<isa>.cpp put into their tables. Each
// namespace is implemented only in files compiled for that ISA (*_avx2.cpp, *_avx512.cpp,
// *_neon.cpp), so nothing here may be called before the dispatch table has checked the CPU.
#include "kernels/kernels.hpp"

#define BITNET_DECLARE_KERNEL_VARIANTS                                                                                 \
    void quantize_acts(const float* x, int64_t k, WeightLayout layout, int8_t* q, ActScale* scale);                    \
    void ternary_matmul(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,                \
                        size_t act_stride, const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride);   \
    void quantize_q8_0(const float* x, int64_t k, BlockQ8_0* out);                                                     \
    void quantize_q8_k(const float* x, int64_t k, BlockQ8_K* out);                                                     \
    /* The scalar entries with this ISA's dense kernels in place of those it accelerates. */                        \
    DenseMatmulTable dense_matmul_table();                                                                             \
    void rms_norm(const float* x, const float* w, int64_t n, float eps, float* y);                                     \
    void softmax(float* x, int64_t n);                                                                                 \
    void rope_neox(float* x, int n_heads, int head_dim, const float* cos, const float* sin);                           \
    void relu_sqr_mul(float* g, const float* u, int64_t n);                                                            \
    void f32_to_f16(const float* x, int64_t n, uint16_t* out);                                                         \
    void attention(const float* q, int n_q, int head_dim, const void* k, const void* v, bool kv_f16, size_t kv_stride, \
                   int64_t n_pos, float scale, float* out, float* scratch);

namespace bitnet {
#if defined(__x86_64__)
namespace avx2 {
BITNET_DECLARE_KERNEL_VARIANTS
}
namespace avx512 {
BITNET_DECLARE_KERNEL_VARIANTS
}
#endif
#if defined(__aarch64__)
namespace neon {
BITNET_DECLARE_KERNEL_VARIANTS
}
#endif
}  // namespace bitnet

#undef BITNET_DECLARE_KERNEL_VARIANTS
