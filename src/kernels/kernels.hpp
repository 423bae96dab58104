#pragma once
// The kernel dispatch table: every hot loop of the engine, one entry per kernel, with a scalar
// reference (kernels_scalar.cpp) and per-ISA variants (*_avx2.cpp, *_avx512.cpp, *_neon.cpp).
// The table is chosen once from CPUID (or BITNET_ISA) and never changes while running.
//
// Numerics every variant must reproduce (docs/ARCHITECTURE.md, "Numerics"):
//  * Activation quantization per token: s = 127 / max(max|x|, 1e-5) in f32,
//    q = clamp(round_half_even(x * s), -128, 127), sum = sum of q.
//  * Ternary matmul: acc = sum_k (code_k - 1) * q_k in int32 (exact), then
//    y = ((float)acc / s) * row_scale   -- bit-identical across ISAs.
//  * Dense (LM head) kernels accumulate in f32; results may differ from the scalar reference by
//    rounding only.
#include <array>
#include <cstddef>
#include <cstdint>

#include "core/cpu_features.hpp"
#include "kernels/layout.hpp"

namespace bitnet {

struct ActScale {
    float s = 1.0f;   // quantization scale: q = round(x * s)
    int32_t sum = 0;  // sum of the quantized values (removes the +1 code offset)
};

// A packed ternary matrix: `rows` output channels of `cols` inputs.
struct TernaryMatrix {
    WeightLayout layout = WeightLayout::bits2;
    int64_t rows = 0, cols = 0;
    const uint8_t* data = nullptr;  // row r at data + r * row_stride
    size_t row_stride = 0;
    const float* row_scale = nullptr;  // alpha per row
    // Optional (bits2 only): one scale per row per 256 inputs; then y = sum_b (acc_b / s) * scale_b
    // in block order and row_scale is ignored. For TQ files whose blocks do not share one scale.
    const float* block_scale = nullptr;
};

// Block formats of quantized activations for the quantized dense kernels (ggml-compatible).
struct BlockQ8_0 {
    uint16_t d;  // f16
    int8_t qs[32];
};
struct BlockQ8_K {
    float d;
    int8_t qs[256];
    int16_t bsums[16];
};

// Dense weight types of the LM head / embedding; dense_types.hpp holds their traits.
enum class DenseType { f32, f16, bf16, q8_0, q6_k };
inline constexpr int kDenseTypeCount = 5;

// A dense (float or block-quantized) matrix, e.g. the LM head / token embedding.
struct DenseMatrix {
    DenseType type = DenseType::f32;
    int64_t rows = 0, cols = 0;
    const uint8_t* data = nullptr;
    size_t row_stride = 0;
};

using DenseMatmulFn = void (*)(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const void* acts,
                              size_t act_stride, int64_t n_tokens, float* out, size_t out_stride);
using DenseMatmulTable = std::array<DenseMatmulFn, kDenseTypeCount>;
constexpr size_t dense_index(DenseType type) { return static_cast<size_t>(type); }

struct KernelTable {
    Isa isa;
    // Whether this table's base3 (1.6-bit) GEMV decodes faster than DRAM delivers the bytes, so
    // that base3 beats bits2 for generation. Only the VBMI table lookups manage that (AVX2 decodes
    // at ~8 GB/s per core); "auto" loads TQ1_0 files as bits2 where it is false.
    bool base3_keeps_up;

    // Quantizes one activation row of k floats into the layout's order; writes
    // layout_padded_k(layout, k) int8 (zero padding) and the row's scale and sum.
    void (*quantize_acts)(const float* x, int64_t k, WeightLayout layout, int8_t* q, ActScale* scale);

    // out[t * out_stride + r] for rows r in [row_begin, row_end) and tokens t < n_tokens; token t's
    // activations at acts + t * act_stride. (Speed, not correctness: keep activation rows 64-byte
    // aligned with act_stride a multiple of 64; unaligned rows cost the SIMD kernels up to ~30%.)
    void (*ternary_matmul)(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,
                           size_t act_stride, const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride);

    // Activation quantizers of the block-quantized dense types (k / block blocks); which weight type
    // takes which activations is in its DenseTypeTraits (dense_types.hpp).
    void (*quantize_q8_0)(const float* x, int64_t k, BlockQ8_0* out);
    void (*quantize_q8_k)(const float* x, int64_t k, BlockQ8_K* out);
    // Per dense weight type (indexed by DenseType): out[t * out_stride + r] = dot(row r, activations
    // of token t), the activations prepared as the type's traits say, act_stride in bytes.
    DenseMatmulTable dense_matmul;

    // y = x / sqrt(mean(x^2) + eps) * w   (f32; y may alias x)
    void (*rms_norm)(const float* x, const float* w, int64_t n, float eps, float* y);
    // In-place softmax over n values (max-subtracted, f32).
    void (*softmax)(float* x, int64_t n);
    // NeoX RoPE on n_heads vectors of head_dim at x + h * head_dim: pairs (i, i + head_dim/2)
    // rotated by cos/sin tables of head_dim/2 entries for this position.
    void (*rope_neox)(float* x, int n_heads, int head_dim, const float* cos, const float* sin);
    // Squared-ReLU gate: g[i] = max(g[i], 0)^2 * u[i], exactly (the same float operations in every
    // variant).
    void (*relu_sqr_mul)(float* g, const float* u, int64_t n);
    // f32 -> IEEE half, round to nearest even (subnormals, overflow to inf, quiet NaN), exactly as
    // core/fp16.hpp's f32_to_fp16 (the KV cache store).
    void (*f32_to_f16)(const float* x, int64_t n, uint16_t* out);

    // Causal attention of n_q query heads that share one KV head (GQA group) over positions
    // [0, n_pos). K and V rows are head_dim values, position p at k + p * kv_stride (elements);
    // kv_f16 selects F16 (uint16_t) or f32 storage. out[h * head_dim + d]. `scratch` holds n_pos
    // floats per query head.
    void (*attention)(const float* q, int n_q, int head_dim, const void* k, const void* v, bool kv_f16,
                      size_t kv_stride, int64_t n_pos, float scale, float* out, float* scratch);
};

// The table for this CPU (BITNET_ISA=scalar|avx2|avx512|neon forces one; an unsupported choice is an
// error). Chosen on first use.
const KernelTable& kernels();
// The table for a given ISA, or nullptr if it is not compiled in or this CPU cannot run it.
const KernelTable* kernels_for(Isa isa);

// Per-ISA tables (defined in kernels_<isa>.cpp).
const KernelTable& kernels_scalar();
#if defined(__x86_64__)
const KernelTable& kernels_avx2();
const KernelTable& kernels_avx512();
#endif
#if defined(__aarch64__)
const KernelTable& kernels_neon();
#endif

}  // namespace bitnet
