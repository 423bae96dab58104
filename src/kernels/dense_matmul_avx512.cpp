// AVX-512 dense matmul entry (LM head, token embedding as head): walks rows x tokens in register
// tiles; the per-type tiles live in dense_float_avx512.cpp and dense_quant_avx512.cpp (Q6_K has
// its own walk, dense_q6_k_avx512.cpp). Every tile
// computes a (row, token) pair the same way (dense_avx512.hpp), so the walk order and the tile
// sizes at the edges are free choices made for speed only.
#include "kernels/avx512_util.hpp"
#include "kernels/dense_avx512.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/variants.hpp"
#include "kernels/x86_intrin.hpp"

namespace bitnet::avx512 {

namespace {

// Rows per cache block when several tokens are multiplied: the block's weights stay in L2 while
// every token group passes over them.
constexpr int64_t kRowBlock = 32;

template <const DenseTileSet& (*Tiles)()>
void dense_matmul(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const void* acts, size_t act_stride,
                  int64_t n_tokens, float* out, size_t out_stride) {
    const DenseTileSet& set = Tiles();
    const auto* a_bytes = static_cast<const uint8_t*>(acts);
    float dots[kDenseMaxRows * kDenseMaxTokens];
    if (n_tokens == 1) {
        // One sequential stream: row after row through the one-row tile.
        for (int64_t r = row_begin; r < row_end; ++r) {
            const uint8_t* row = w.data + static_cast<size_t>(r) * w.row_stride;
            prefetch_lines(row + kStreamPrefetchBytes, w.row_stride);
            set.tiles[0][0]({w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, a_bytes, act_stride},
                            out + r);
        }
        return;
    }
    for (int64_t rb = row_begin; rb < row_end; rb += kRowBlock) {
        const int64_t rb_end = rb + kRowBlock < row_end ? rb + kRowBlock : row_end;
        for (int64_t t = 0; t < n_tokens; t += set.tokens) {
            const int nt = static_cast<int>(n_tokens - t < set.tokens ? n_tokens - t : set.tokens);
            const uint8_t* a = a_bytes + static_cast<size_t>(t) * act_stride;
            for (int64_t r = rb; r < rb_end; r += set.rows) {
                const int nr = static_cast<int>(rb_end - r < set.rows ? rb_end - r : set.rows);
                set.tiles[nr - 1][nt - 1](
                    {w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, a, act_stride}, dots);
                for (int j = 0; j < nt; ++j) {
                    float* o = out + static_cast<size_t>(t + j) * out_stride + static_cast<size_t>(r);
                    for (int i = 0; i < nr; ++i) o[i] = dots[i * nt + j];
                }
            }
        }
    }
}

}  // namespace

DenseMatmulTable dense_matmul_table() {
    DenseMatmulTable table = scalar::dense_matmul_table();
    table[dense_index(DenseType::f32)] = &dense_matmul<dense_f32_tiles>;
    table[dense_index(DenseType::f16)] = &dense_matmul<dense_f16_tiles>;
    table[dense_index(DenseType::bf16)] = &dense_matmul<dense_bf16_tiles>;
    table[dense_index(DenseType::q8_0)] = &dense_matmul<dense_q8_0_tiles>;
    table[dense_index(DenseType::q6_k)] = &q6_k_matmul;
    return table;
}

}  // namespace bitnet::avx512
