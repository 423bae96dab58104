#pragma once
// Internal interface of the AVX-512 dense (LM head) kernels: register tiles of R weight rows x T
// tokens, one set per weight type. Include only from *_avx512.cpp files.
//
// Every tile of a set (and the one-row one-token tile used for GEMV) computes each (row, token)
// dot product with the same sequence of float operations, so a result never depends on which
// tile produced it: not on the number of tokens in the call, nor on the row range (thread split).
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.hpp"

namespace bitnet::avx512 {

// dots[r * T + t] = dot(weight row r, activations of token t); rows at w + r * w_stride,
// activations (f32, BlockQ8_0 or BlockQ8_K rows) at a + t * a_stride bytes.
struct DenseTileArgs {
    const uint8_t* w;
    size_t w_stride;
    int64_t cols;
    const uint8_t* a;
    size_t a_stride;
};
using DenseTileFn = void (*)(const DenseTileArgs& args, float* dots);

inline constexpr int kDenseMaxRows = 4;
inline constexpr int kDenseMaxTokens = 4;

// tiles[r - 1][t - 1] for 1..rows rows and 1..tokens tokens (the type's largest tile); tiles[0][0]
// reads one row as one sequential stream.
struct DenseTileSet {
    int rows;
    int tokens;
    DenseTileFn tiles[kDenseMaxRows][kDenseMaxTokens];
};

const DenseTileSet& dense_f32_tiles();
const DenseTileSet& dense_f16_tiles();
const DenseTileSet& dense_bf16_tiles();
const DenseTileSet& dense_q8_0_tiles();

// Q6_K has its own walk (dense_q6_k_avx512.cpp): rows are decoded once and shared by all tokens.
void q6_k_matmul(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const void* acts, size_t act_stride,
                 int64_t n_tokens, float* out, size_t out_stride);

}  // namespace bitnet::avx512
