// AVX2 ternary matmul entry: row-sequential GEMV, and for several tokens a rows x tokens tile that
// decodes each weight chunk once into a small code buffer and reuses it for every token. The
// epilogue is the scalar reference's: y = ((float)(dot - sum_q) / s) * row_scale.
#include <utility>

#include "kernels/scalar_ops.hpp"
#include "kernels/ternary_avx2.hpp"
#include "kernels/variants.hpp"


namespace bitnet::avx2 {

namespace {

constexpr int64_t kRowBlock = 32;  // rows whose weights stay in L2 while all token groups pass

template <int R, int T>
void gemm_tile(const LayoutKernels& lk, const TileArgs& args, int32_t* dots) {
    alignas(32) uint8_t codes[R * kCodeStride];
    __m256i acc[R][T];
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_si256();
    }
    const int64_t n_chunks = (args.cols + lk.chunk_weights - 1) / lk.chunk_weights;
    for (int64_t c = 0; c < n_chunks; ++c) {
        const int len = lk.decode(args, R, c, codes);
        const int8_t* a = args.a + c * lk.chunk_weights;
        for (int j = 0; j < len; j += 64) {
            __m256i c0[R], c1[R];
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) {
                c0[r] = _mm256_load_si256(reinterpret_cast<const __m256i*>(codes + r * kCodeStride + j));
                c1[r] = _mm256_load_si256(reinterpret_cast<const __m256i*>(codes + r * kCodeStride + j + 32));
            }
            BITNET_UNROLL
            for (int t = 0; t < T; ++t) {
                const int8_t* at = a + t * args.a_stride + j;
                const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
                const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 32));
                BITNET_UNROLL
                for (int r = 0; r < R; ++r) {
                    const __m256i s =
                        _mm256_add_epi16(_mm256_maddubs_epi16(c0[r], a0), _mm256_maddubs_epi16(c1[r], a1));
                    acc[r][t] = _mm256_add_epi32(acc[r][t], _mm256_madd_epi16(s, _mm256_set1_epi16(1)));
                }
            }
        }
    }
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = hsum_epi32(acc[r][t]);
    }
}

using GemmFn = void (*)(const LayoutKernels&, const TileArgs&, int32_t*);

template <int T, int... R>
constexpr void fill_column(GemmFn (&fns)[kGemmRows][kGemmTokens], std::integer_sequence<int, R...>) {
    ((fns[R][T - 1] = &gemm_tile<R + 1, T>), ...);
}

struct GemmTable {
    GemmFn fns[kGemmRows][kGemmTokens];
};

template <int... T>
constexpr GemmTable make_gemm(std::integer_sequence<int, T...>) {
    GemmTable table{};
    (fill_column<T + 1>(table.fns, std::make_integer_sequence<int, kGemmRows>{}), ...);
    return table;
}

constexpr GemmTable kGemm = make_gemm(std::make_integer_sequence<int, kGemmTokens>{});

void gemv(const LayoutKernels& lk, const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,
          const ActScale& scale, float* out) {
    alignas(16) int32_t dots[kGemvRows];
    const __m128 s = _mm_set1_ps(scale.s);
    const __m128i sum = _mm_set1_epi32(scale.sum);
    int64_t r = row_begin;
    for (; r + kGemvRows <= row_end; r += kGemvRows) {
        lk.gemv({w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, acts, 0}, kGemvRows, dots);
        const __m128i acc = _mm_sub_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(dots)), sum);
        _mm_storeu_ps(out + r, _mm_mul_ps(_mm_div_ps(_mm_cvtepi32_ps(acc), s), _mm_loadu_ps(w.row_scale + r)));
    }
    if (r < row_end) {
        const int n = static_cast<int>(row_end - r);
        lk.gemv({w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, acts, 0}, n, dots);
        for (int i = 0; i < n; ++i)
            out[r + i] = (static_cast<float>(dots[i] - scale.sum) / scale.s) * w.row_scale[r + i];
    }
}

void gemm(const LayoutKernels& lk, const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,
          size_t act_stride, const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride) {
    int32_t dots[kGemmRows * kGemmTokens];
    for (int64_t rb = row_begin; rb < row_end; rb += kRowBlock) {
        const int64_t rb_end = rb + kRowBlock < row_end ? rb + kRowBlock : row_end;
        for (int64_t t = 0; t < n_tokens; t += kGemmTokens) {
            const int nt = static_cast<int>(n_tokens - t < kGemmTokens ? n_tokens - t : kGemmTokens);
            const int8_t* a = acts + static_cast<size_t>(t) * act_stride;
            for (int64_t r = rb; r < rb_end; r += kGemmRows) {
                const int nr = static_cast<int>(rb_end - r < kGemmRows ? rb_end - r : kGemmRows);
                kGemm.fns[nr - 1][nt - 1](
                    lk, {w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, a, act_stride}, dots);
                for (int j = 0; j < nt; ++j) {
                    const ActScale& sc = scales[t + j];
                    float* o = out + static_cast<size_t>(t + j) * out_stride + static_cast<size_t>(r);
                    for (int i = 0; i < nr; ++i)
                        o[i] = (static_cast<float>(dots[i * nt + j] - sc.sum) / sc.s) * w.row_scale[r + i];
                }
            }
        }
    }
}

}  // namespace

void ternary_matmul(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts, size_t act_stride,
                    const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride) {
    if (w.block_scale != nullptr) {
        scalar::ternary_matmul(w, row_begin, row_end, acts, act_stride, scales, n_tokens, out, out_stride);
        return;
    }
    if (row_begin >= row_end || n_tokens <= 0) return;
    const LayoutKernels& lk = w.layout == WeightLayout::bits2 ? bits2_kernels() : base3_kernels();
    if (n_tokens == 1) {
        gemv(lk, w, row_begin, row_end, acts, scales[0], out);
    } else {
        gemm(lk, w, row_begin, row_end, acts, act_stride, scales, n_tokens, out, out_stride);
    }
}

}  // namespace bitnet::avx2
