// AVX-512 ternary matmul entry: walks the output in register tiles and applies the exact
// epilogue y = ((float)(dot - sum_q) / s) * row_scale (same float operations as the scalar
// reference, so results are bit-identical).
#include "kernels/scalar_ops.hpp"
#include "kernels/x86_intrin.hpp"
#include "kernels/ternary_avx512.hpp"
#include "kernels/variants.hpp"

namespace bitnet::avx512 {

namespace {

// Rows per cache block in the many-token path: the block's weights stay in L2 while every token
// group passes over them.
constexpr int64_t kRowBlock = 64;
// The first token group of a block streams the weights from DRAM; it prefetches the rows this far
// ahead as it goes. The hardware prefetchers alone leave a server step (8-32 tokens) waiting on
// memory: ternary_decode_8layersx8 +20-35 %, x32 +25-35 % on Zen 5 (BENCHMARKS.md).
constexpr int64_t kPrefetchRows = 16;
// base3 GEMM transcodes blocks of rows (see gemm_base3_transcoded) from this many tokens on.
constexpr int64_t kTranscodeTokens = 16;
constexpr int64_t kTranscodeRows = 32;
constexpr size_t kTranscodeBytes = 64 * 1024;  // stack scratch: 32 rows of up to ~8K weights

void gemv(const TileSet& tiles, const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,
          const ActScale& scale, float* out) {
    const __m128 s = _mm_set1_ps(scale.s);
    const __m128i sum = _mm_set1_epi32(scale.sum);
    int64_t r = row_begin;
    alignas(32) int32_t dots[kGemvRows];
    for (; r + kGemvRows <= row_end; r += kGemvRows) {
        tiles.gemv[0]({w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, acts, 0}, kGemvRows, dots);
        const __m128i acc = _mm_sub_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(dots)), sum);
        const __m128 y = _mm_mul_ps(_mm_div_ps(_mm_cvtepi32_ps(acc), s), _mm_loadu_ps(w.row_scale + r));
        _mm_storeu_ps(out + r, y);
    }
    if (r < row_end) {
        const int n = static_cast<int>(row_end - r);
        tiles.gemv[0]({w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, acts, 0}, n, dots);
        for (int i = 0; i < n; ++i) {
            out[r + i] = (static_cast<float>(dots[i] - scale.sum) / scale.s) * w.row_scale[r + i];
        }
    }
}

// A few tokens: row-sequential passes over the weights, kGemvTokens tokens per pass.
void small_batch(const TileSet& tiles, const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,
                 size_t act_stride, const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride) {
    int32_t dots[kGemvRows * kGemvTokens];
    for (int64_t t = 0; t < n_tokens; t += kGemvTokens) {
        const int nt = static_cast<int>(n_tokens - t < kGemvTokens ? n_tokens - t : kGemvTokens);
        const int8_t* a = acts + static_cast<size_t>(t) * act_stride;
        for (int64_t r = row_begin; r < row_end; r += kGemvRows) {
            const int nr = static_cast<int>(row_end - r < kGemvRows ? row_end - r : kGemvRows);
            tiles.gemv[nt - 1]({w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, a, act_stride},
                               nr, dots);
            for (int j = 0; j < nt; ++j) {
                const ActScale& sc = scales[t + j];
                float* o = out + static_cast<size_t>(t + j) * out_stride + static_cast<size_t>(r);
                for (int i = 0; i < nr; ++i)
                    o[i] = (static_cast<float>(dots[i * nt + j] - sc.sum) / sc.s) * w.row_scale[r + i];
            }
        }
    }
}

// The same float operations for a whole 4 x 4 tile at once: dots are row-major (r * 4 + t), the
// outputs token-major, so the lanes are transposed first. The token group's sums and scales are
// laid out once per group (TokenLanes), not once per tile.
static_assert(kGemmRows == 4 && kGemmTokens == 4, "full_tile_epilogue assumes 4 x 4 tiles");
struct TokenLanes {
    __m512i sum;  // sc[t].sum in lanes 4t .. 4t + 3
    __m512 s;     // sc[t].s in lanes 4t .. 4t + 3
};

TokenLanes token_lanes(const ActScale* sc) {
    const __m512i four_each = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    const __m128i sums = _mm_setr_epi32(sc[0].sum, sc[1].sum, sc[2].sum, sc[3].sum);
    const __m128 scales = _mm_setr_ps(sc[0].s, sc[1].s, sc[2].s, sc[3].s);
    return {_mm512_permutexvar_epi32(four_each, _mm512_castsi128_si512(sums)),
            _mm512_permutexvar_ps(four_each, _mm512_castps128_ps512(scales))};
}

void full_tile_epilogue(const int32_t* dots, const TokenLanes& lanes, const float* row_scale, float* out,
                        size_t out_stride) {
    const __m512i to_token_major = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i d = _mm512_permutexvar_epi32(to_token_major, _mm512_loadu_si512(dots));
    const __m512 rs = _mm512_broadcast_f32x4(_mm_loadu_ps(row_scale));
    const __m512 y = _mm512_mul_ps(_mm512_div_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(d, lanes.sum)), lanes.s), rs);
    _mm_storeu_ps(out, _mm512_castps512_ps128(y));
    _mm_storeu_ps(out + out_stride, _mm512_extractf32x4_ps(y, 1));
    _mm_storeu_ps(out + 2 * out_stride, _mm512_extractf32x4_ps(y, 2));
    _mm_storeu_ps(out + 3 * out_stride, _mm512_extractf32x4_ps(y, 3));
}

// Rows [0, n_rows) of a block whose codes (in the tiles' layout) start at `data`; row_scale and
// out already point at the block's first row. `in_memory`: the rows continue past the block (the
// matrix itself, not a cache-resident scratch), so the rows ahead are worth prefetching.
void gemm_block(const TileSet& tiles, const uint8_t* data, size_t stride, int64_t cols, const float* row_scale,
                int64_t n_rows, const int8_t* acts, size_t act_stride, const ActScale* scales, int64_t n_tokens,
                float* out, size_t out_stride, bool in_memory) {
    int32_t dots[kGemmRows * kGemmTokens];
    for (int64_t t = 0; t < n_tokens; t += kGemmTokens) {
        const int nt = static_cast<int>(n_tokens - t < kGemmTokens ? n_tokens - t : kGemmTokens);
        const int8_t* a = acts + static_cast<size_t>(t) * act_stride;
        const TokenLanes lanes =
            nt == kGemmTokens ? token_lanes(scales + t) : TokenLanes{_mm512_setzero_si512(), _mm512_setzero_ps()};
        const int64_t ahead = in_memory && t == 0 ? kPrefetchRows * static_cast<int64_t>(stride) : 0;
        for (int64_t r = 0; r < n_rows; r += kGemmRows) {
            const int nr = static_cast<int>(n_rows - r < kGemmRows ? n_rows - r : kGemmRows);
            tiles.gemm[nr - 1][nt - 1]({data + static_cast<size_t>(r) * stride, stride, cols, a, act_stride, ahead},
                                       dots);
            float* o = out + static_cast<size_t>(t) * out_stride + static_cast<size_t>(r);
            if (nr == 4 && nt == 4) {
                full_tile_epilogue(dots, lanes, row_scale + r, o, out_stride);
                continue;
            }
            for (int j = 0; j < nt; ++j) {
                const ActScale& sc = scales[t + j];
                for (int i = 0; i < nr; ++i) {
                    o[static_cast<size_t>(j) * out_stride + static_cast<size_t>(i)] =
                        (static_cast<float>(dots[i * nt + j] - sc.sum) / sc.s) * row_scale[r + i];
                }
            }
        }
    }
}

void gemm(const TileSet& tiles, const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,
          size_t act_stride, const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride) {
    for (int64_t rb = row_begin; rb < row_end; rb += kRowBlock) {
        const int64_t n = rb + kRowBlock < row_end ? kRowBlock : row_end - rb;
        gemm_block(tiles, w.data + static_cast<size_t>(rb) * w.row_stride, w.row_stride, w.cols, w.row_scale + rb, n,
                   acts, act_stride, scales, n_tokens, out + rb, out_stride, /*in_memory=*/true);
    }
}

// base3 with many tokens: each block of rows is transcoded once into bits2-style codes (natural
// activation order, see base3_transcode_rows) in a stack buffer, so the decode cost is shared by
// all token groups and the bits2 tiles do the arithmetic.
bool gemm_base3_transcoded(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,
                           size_t act_stride, const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride) {
    const int64_t k_pad = layout_padded_k(WeightLayout::base3, w.cols);
    const size_t stride = static_cast<size_t>(k_pad / 4 + 63) / 64 * 64;
    if (stride * kTranscodeRows > kTranscodeBytes) return false;
    alignas(64) uint8_t scratch[kTranscodeBytes];
    for (int64_t rb = row_begin; rb < row_end; rb += kTranscodeRows) {
        const int n = static_cast<int>(rb + kTranscodeRows < row_end ? kTranscodeRows : row_end - rb);
        if (!base3_transcode_rows({w.data + static_cast<size_t>(rb) * w.row_stride, w.row_stride, w.cols, nullptr, 0},
                                  n, scratch, stride)) {
            return false;
        }
        gemm_block(bits2_tiles(), scratch, stride, k_pad, w.row_scale + rb, n, acts, act_stride, scales, n_tokens,
                   out + rb, out_stride, /*in_memory=*/false);
    }
    return true;
}

}  // namespace

void ternary_matmul(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts, size_t act_stride,
                    const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride) {
    if (w.block_scale != nullptr) {
        if (!ternary_block_scaled(w, row_begin, row_end, acts, act_stride, scales, n_tokens, out, out_stride)) {
            scalar::ternary_matmul(w, row_begin, row_end, acts, act_stride, scales, n_tokens, out, out_stride);
        }
        return;
    }
    if (row_begin >= row_end || n_tokens <= 0) return;
    const TileSet& tiles = w.layout == WeightLayout::bits2 ? bits2_tiles() : base3_tiles();
    if (n_tokens == 1) {
        gemv(tiles, w, row_begin, row_end, acts, scales[0], out);
    } else if (n_tokens <= kSmallBatch) {
        small_batch(tiles, w, row_begin, row_end, acts, act_stride, scales, n_tokens, out, out_stride);
    } else if (w.layout == WeightLayout::base3 && n_tokens >= kTranscodeTokens &&
               gemm_base3_transcoded(w, row_begin, row_end, acts, act_stride, scales, n_tokens, out, out_stride)) {
        return;
    } else {
        gemm(tiles, w, row_begin, row_end, acts, act_stride, scales, n_tokens, out, out_stride);
    }
}

}  // namespace bitnet::avx512
