#pragma once
// Internal interface between the AVX-512 ternary matmul entry (ternary_matmul_avx512.cpp) and
// its per-layout micro-kernels. Include only from *_avx512.cpp files.
#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernels/kernels.hpp"
#include "kernels/avx512_util.hpp"
#include "kernels/x86_intrin.hpp"

namespace bitnet::avx512 {

// A register tile: dots[r * T + t] = sum_k code(row r, k) * q(token t, k) over a whole row, i.e.
// the raw code dot product before the activation-sum correction. `w` points at the first row,
// `a` at the first token's quantized activations (in the layout's order).
struct TileArgs {
    const uint8_t* w;
    size_t w_stride;
    int64_t cols;
    const int8_t* a;
    size_t a_stride;
    // Bytes ahead of each row to prefetch while a chunk is read (0: none); see gemm_block.
    int64_t prefetch = 0;
};
using TileFn = void (*)(const TileArgs& args, int32_t* dots);

// Requests chunk c (64 bytes) of each of R rows `args.prefetch` bytes ahead into L1.
template <int R>
BITNET_ALWAYS_INLINE void prefetch_chunk_ahead(const TileArgs& args, int64_t c) {
    if (args.prefetch == 0) return;
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        _mm_prefetch(reinterpret_cast<const char*>(args.w + r * args.w_stride + 64 * c + args.prefetch), _MM_HINT_T0);
    }
}
// Small batches: n_rows (1..kGemvRows) rows, T tokens: dots[r * T + t].
using GemvFn = void (*)(const TileArgs& args, int n_rows, int32_t* dots);

// GEMV (one token, and batches of up to kSmallBatch tokens, which are memory-bound too)
// reads the rows strictly one after another: on this class of machine one sequential stream per
// core reaches far higher DRAM bandwidth than several interleaved row streams, and the
// activations (a few KB per token) are re-read from L1 for free. Each row uses one accumulator per
// bit plane and token so no vpdpbusd waits for the previous one.
// GEMM keeps a rows x tokens block of accumulators so every decoded weight vector feeds several
// tokens; it takes over above kSmallBatch tokens, where compute dominates.
inline constexpr int kGemvRows = 4;
inline constexpr int kGemvTokens = 3;
inline constexpr int64_t kSmallBatch = 3;
inline constexpr int kGemmRows = 4;
inline constexpr int kGemmTokens = 4;

// gemm[r - 1][t - 1] handles r rows (1..kGemmRows) of t tokens (1..kGemmTokens).
// gemv[t - 1] handles t tokens (1..kGemvTokens).
struct TileSet {
    GemvFn gemv[kGemvTokens];
    TileFn gemm[kGemmRows][kGemmTokens];
};

// Builds the TileSet of one layout from its kernels: Kernels::gemv (one token),
// Kernels::gemv_batch<T> (T = 2..kGemvTokens) and Kernels::tile<R, T>.
template <class Kernels>
constexpr TileSet make_tile_set() {
    TileSet set{};
    set.gemv[0] = Kernels::gemv;
    [&]<int... T>(std::integer_sequence<int, T...>) {
        ((set.gemv[T + 1] = Kernels::template gemv_batch<T + 2>), ...);
    }(std::make_integer_sequence<int, kGemvTokens - 1>{});
    [&]<int... RT>(std::integer_sequence<int, RT...>) {
        ((set.gemm[RT / kGemmTokens][RT % kGemmTokens] =
              Kernels::template tile<RT / kGemmTokens + 1, RT % kGemmTokens + 1>),
         ...);
    }(std::make_integer_sequence<int, kGemmRows * kGemmTokens>{});
    return set;
}

const TileSet& bits2_tiles();

// Rows with per-block scales (TernaryMatrix::block_scale); false if the shape is not supported.
bool ternary_block_scaled(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,
                          size_t act_stride, const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride);
const TileSet& base3_tiles();

// Rewrites n_rows base3 rows (args.w, args.w_stride, args.cols) as codes the bits2 tiles read with
// natural-order activations: 64-byte chunk c holds weights 256c + 64g + i in byte i, bits
// (7 - 2g):(6 - 2g); a trailing 128 weights form a bits2 half chunk (byte i: weights 32g + i). The
// rows span layout_padded_k(base3, cols) weights, codes past `cols` are 0. Row r goes to
// dst + r * dst_stride. Returns false if the padded length is not a multiple of 128.
bool base3_transcode_rows(const TileArgs& args, int n_rows, uint8_t* dst, size_t dst_stride);

}  // namespace bitnet::avx512
