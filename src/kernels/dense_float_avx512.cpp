// AVX-512 tiles for f32 / f16 / bf16 weight rows against f32 activations: each weight vector is
// loaded (and widened to f32: vcvtph2ps for f16, a 16-bit shift for bf16) once and feeds T tokens.
#include <utility>

#include "kernels/avx512_util.hpp"
#include "kernels/dense_avx512.hpp"
#include "kernels/x86_intrin.hpp"


namespace bitnet::avx512 {

namespace {

template <DenseType Ty>
BITNET_ALWAYS_INLINE __m512 load_weights(const uint8_t* row, int64_t k, __mmask16 m) {
    if constexpr (Ty == DenseType::f32) {
        return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(row) + k);
    } else if constexpr (Ty == DenseType::f16) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, reinterpret_cast<const uint16_t*>(row) + k));
    } else {
        const __m256i h = _mm256_maskz_loadu_epi16(m, reinterpret_cast<const uint16_t*>(row) + k);
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
}

// One loop with masked loads for every step (free on AVX-512) instead of a separate tail step: a
// second code path over the accumulators after the loop makes GCC keep them in memory.
template <DenseType Ty, int R, int T>
void float_tile(const DenseTileArgs& args, float* dots) {
    __m512 acc[R][T];
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    }
    for (int64_t k = 0; k < args.cols; k += 16) {
        const __mmask16 m = first_lanes16(args.cols - k);
        __m512 w[R];
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) w[r] = load_weights<Ty>(args.w + r * args.w_stride, k, m);
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const __m512 xv = _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(args.a + t * args.a_stride) + k);
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(w[r], xv, acc[r][t]);
        }
    }
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = _mm512_reduce_add_ps(acc[r][t]);
    }
}

// The one-row, one-token tile used for GEMV: the matrix is read as one sequential stream (one row
// after another, see ternary_avx512.hpp), with four accumulators to hide the FMA latency.
template <DenseType Ty>
void float_gemv(const DenseTileArgs& args, float* dots) {
    const float* x = reinterpret_cast<const float*>(args.a);
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const __mmask16 all = 0xffff;
    int64_t k = 0;
    for (; k + 64 <= args.cols; k += 64) {
        a0 = _mm512_fmadd_ps(load_weights<Ty>(args.w, k, all), _mm512_loadu_ps(x + k), a0);
        a1 = _mm512_fmadd_ps(load_weights<Ty>(args.w, k + 16, all), _mm512_loadu_ps(x + k + 16), a1);
        a2 = _mm512_fmadd_ps(load_weights<Ty>(args.w, k + 32, all), _mm512_loadu_ps(x + k + 32), a2);
        a3 = _mm512_fmadd_ps(load_weights<Ty>(args.w, k + 48, all), _mm512_loadu_ps(x + k + 48), a3);
    }
    for (; k < args.cols; k += 16) {
        const __mmask16 m = first_lanes16(args.cols - k);
        a0 = _mm512_fmadd_ps(load_weights<Ty>(args.w, k, m), _mm512_maskz_loadu_ps(m, x + k), a0);
    }
    dots[0] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

template <DenseType Ty, int T, int... R>
constexpr void fill_column(DenseTileSet& set, std::integer_sequence<int, R...>) {
    ((set.tiles[R][T - 1] = &float_tile<Ty, R + 1, T>), ...);
}

template <DenseType Ty, int... T>
constexpr DenseTileSet make_tiles(std::integer_sequence<int, T...>) {
    DenseTileSet set{};
    (fill_column<Ty, T + 1>(set, std::make_integer_sequence<int, kDenseRows>{}), ...);
    set.tiles[0][0] = &float_gemv<Ty>;
    return set;
}

constexpr DenseTileSet kF32 = make_tiles<DenseType::f32>(std::make_integer_sequence<int, kDenseTokens>{});
constexpr DenseTileSet kF16 = make_tiles<DenseType::f16>(std::make_integer_sequence<int, kDenseTokens>{});
constexpr DenseTileSet kBf16 = make_tiles<DenseType::bf16>(std::make_integer_sequence<int, kDenseTokens>{});

}  // namespace

const DenseTileSet& dense_f32_tiles() { return kF32; }
const DenseTileSet& dense_f16_tiles() { return kF16; }
const DenseTileSet& dense_bf16_tiles() { return kBf16; }

}  // namespace bitnet::avx512
