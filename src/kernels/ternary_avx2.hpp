#pragma once
// Internal interface between the AVX2 ternary matmul entry (ternary_matmul_avx2.cpp) and its
// per-layout kernels. Include only from *_avx2.cpp files.
//
// Without VNNI the u8 x s8 products go through vpmaddubsw (pairs into int16) and vpmaddwd (pairs
// of int16 into int32). With codes <= 3 and |q| <= 128 a vpmaddubsw lane is at most 768 in
// magnitude, so up to 42 of them may be summed in int16 before widening; the kernels sum at most
// 10 (one chunk) and then widen, so the result is the exact int32 dot for any int8 input.
#include <cstddef>
#include <cstdint>

#include "kernels/avx2_util.hpp"

namespace bitnet::avx2 {

struct TileArgs {
    const uint8_t* w;
    size_t w_stride;
    int64_t cols;
    const int8_t* a;
    size_t a_stride;
};

// GEMV: one token, n_rows (1..4) rows read one after another (one sequential stream, see
// ternary_avx512.hpp); dots[r] = sum_k code * q.
using GemvFn = void (*)(const TileArgs& args, int n_rows, int32_t* dots);

// GEMM: the layout decodes `n_rows` rows of chunk c into codes[r * kCodeStride + j], in the
// order of the activations from k0 = chunk_k0(c) on, with zeros past the row's end; returns the
// number of codes (a multiple of 64). A shared u8 x s8 tile then multiplies them with T tokens.
inline constexpr int kGemvRows = 4;
inline constexpr int kGemmRows = 2;
inline constexpr int kGemmTokens = 4;
inline constexpr int kCodeStride = 320;
using DecodeFn = int (*)(const TileArgs& args, int n_rows, int64_t chunk, uint8_t* codes);

struct LayoutKernels {
    GemvFn gemv;
    DecodeFn decode;
    int64_t chunk_weights;  // activations per chunk (256 or 320)
};

const LayoutKernels& bits2_kernels();
const LayoutKernels& base3_kernels();

}  // namespace bitnet::avx2
