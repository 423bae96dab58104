// AVX-512 tiles for f32 / f16 / bf16 weight rows against f32 activations: each weight vector is
// loaded (and widened to f32: vcvtph2ps for f16, a 16-bit shift for bf16) once and feeds T tokens.
//
// One order of operations for every (row, token) pair, whatever the tile: the row is cut into
// 16-column chunks, chunk c goes into accumulator c % kAcc with one FMA (chunks in increasing
// order; the last round of kAcc chunks is masked, lanes past the row end load as zeros), then the
// two accumulators are added and reduced with hsum_ps. Full rounds run unmasked, which gives
// the same values as all-ones masks.
#include <algorithm>
#include <utility>

#include "kernels/avx512_util.hpp"
#include "kernels/dense_avx512.hpp"
#include "kernels/x86_intrin.hpp"


namespace bitnet::avx512 {

namespace {

// Two accumulators per pair hide the FMA latency; a 3 x 4 tile holds 24 of them plus three weight
// vectors and one activation vector in the 32 zmm registers.
constexpr int kAcc = 2;
constexpr int kTileRows = 3, kTileTokens = 4;
static_assert(kTileRows <= kDenseMaxRows && kTileTokens <= kDenseMaxTokens);

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

// The final combine of one pair's accumulators (the same code for every tile).
BITNET_ALWAYS_INLINE float combine(const __m512 (&acc)[kAcc]) {
    static_assert(kAcc == 2);
    return hsum_ps(_mm512_add_ps(acc[0], acc[1]));
}

// One round: chunk j of the kAcc chunks starting at column k into accumulator j of every pair.
// Masked rounds clamp the column to the row end, so no pointer goes past it (mask 0 there).
template <DenseType Ty, int R, int T, bool Masked>
BITNET_ALWAYS_INLINE void accumulate_round(const DenseTileArgs& args, int64_t k, __m512 (&acc)[R][T][kAcc]) {
    BITNET_UNROLL
    for (int j = 0; j < kAcc; ++j) {
        int64_t kj = k + 16 * j;
        __mmask16 m = 0xffff;
        if constexpr (Masked) {
            kj = std::min(kj, args.cols);
            m = first_lanes16(args.cols - kj);
        }
        __m512 w[R];
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) w[r] = load_weights<Ty>(args.w + r * args.w_stride, kj, m);
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const __m512 xv = _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(args.a + t * args.a_stride) + kj);
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) acc[r][t][j] = _mm512_fmadd_ps(w[r], xv, acc[r][t][j]);
        }
    }
}

// R rows x T tokens. The one-row one-token instance serves GEMV, reading the matrix as one
// sequential stream (one row after another, see ternary_avx512.hpp).
template <DenseType Ty, int R, int T>
void float_tile(const DenseTileArgs& args, float* dots) {
    __m512 acc[R][T][kAcc];
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            BITNET_UNROLL
            for (int j = 0; j < kAcc; ++j) acc[r][t][j] = _mm512_setzero_ps();
        }
    }
    int64_t k = 0;
    for (; k + 16 * kAcc <= args.cols; k += 16 * kAcc) accumulate_round<Ty, R, T, false>(args, k, acc);
    if (k < args.cols) accumulate_round<Ty, R, T, true>(args, k, acc);
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = combine(acc[r][t]);
    }
}

template <DenseType Ty, int T, int... R>
constexpr void fill_column(DenseTileSet& set, std::integer_sequence<int, R...>) {
    ((set.tiles[R][T - 1] = &float_tile<Ty, R + 1, T>), ...);
}

template <DenseType Ty, int... T>
constexpr DenseTileSet make_tiles(std::integer_sequence<int, T...>) {
    DenseTileSet set{kTileRows, kTileTokens, {}};
    (fill_column<Ty, T + 1>(set, std::make_integer_sequence<int, kTileRows>{}), ...);
    return set;
}

constexpr auto kTokenSeq = std::make_integer_sequence<int, kTileTokens>{};
constexpr DenseTileSet kF32 = make_tiles<DenseType::f32>(kTokenSeq);
constexpr DenseTileSet kF16 = make_tiles<DenseType::f16>(kTokenSeq);
constexpr DenseTileSet kBf16 = make_tiles<DenseType::bf16>(kTokenSeq);

}  // namespace

const DenseTileSet& dense_f32_tiles() { return kF32; }
const DenseTileSet& dense_f16_tiles() { return kF16; }
const DenseTileSet& dense_bf16_tiles() { return kBf16; }

}  // namespace bitnet::avx512
