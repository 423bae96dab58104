// AVX-512 VNNI tiles for Q8_0 x Q8_0 weight rows (Q6_K: dense_q6_k_avx512.cpp).
//
// Q8_0: two 34-byte blocks per step share one zmm (block b in the low half, b + 1 in the high
// half). vpdpbusd wants an unsigned operand, so the weights are offset by 128 (xor 0x80) and the
// accumulator starts at -128 * sum(a) per lane (itself one vpdpbusd of 0x80 bytes with a), which
// keeps the integer dot exact for any int8 input. The per-block scales then apply in f32.
#include <utility>

#include "kernels/avx512_util.hpp"
#include "kernels/dense_avx512.hpp"
#include "kernels/x86_intrin.hpp"


namespace bitnet::avx512 {

namespace {

inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

// [h0 x 8, h1 x 8] as floats.
BITNET_ALWAYS_INLINE __m512 pair_scales(uint16_t h0, uint16_t h1) {
    return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi16(static_cast<short>(h0))),
                                                   _mm_set1_epi16(static_cast<short>(h1)), 1));
}

// 64 bytes from two 32-byte pieces (the second may be absent: zeros).
template <bool Single>
BITNET_ALWAYS_INLINE __m512i load_pair(const uint8_t* p0, const uint8_t* p1) {
    const __m512i lo = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p0)));
    if constexpr (Single) {
        return _mm512_inserti64x4(lo, _mm256_setzero_si256(), 1);
    } else {
        return _mm512_inserti64x4(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p1)), 1);
    }
}

template <int R, int T>
struct Q8_0Tile {
    __m512 acc[R][T];

    template <bool Single>
    BITNET_ALWAYS_INLINE void pair(const DenseTileArgs& args, int64_t b) {
        const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
        __m512i wx[R];
        __m512 dw[R];
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) {
            const uint8_t* blk = args.w + r * args.w_stride + 34 * b;
            wx[r] = _mm512_xor_si512(load_pair<Single>(blk + 2, blk + 36), bias);
            dw[r] = pair_scales(load_u16(blk), Single ? 0 : load_u16(blk + 34));
        }
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const auto* ab = reinterpret_cast<const BlockQ8_0*>(args.a + t * args.a_stride) + b;
            const __m512i av = load_pair<Single>(reinterpret_cast<const uint8_t*>(ab[0].qs),
                                                 reinterpret_cast<const uint8_t*>(ab[Single ? 0 : 1].qs));
            const __m512i neg =
                _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, av));
            const __m512 da = pair_scales(ab[0].d, Single ? 0 : ab[1].d);
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) {
                const __m512i dot = _mm512_dpbusd_epi32(neg, wx[r], av);
                acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw[r], da), acc[r][t]);
            }
        }
    }
};

template <int R, int T>
void q8_0_tile(const DenseTileArgs& args, float* dots) {
    Q8_0Tile<R, T> tl;
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) tl.acc[r][t] = _mm512_setzero_ps();
    }
    const int64_t n_blocks = args.cols / 32;
    int64_t b = 0;
    for (; b + 2 <= n_blocks; b += 2) tl.template pair<false>(args, b);
    if (b < n_blocks) tl.template pair<true>(args, b);
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = _mm512_reduce_add_ps(tl.acc[r][t]);
    }
}

template <int T, int... R>
constexpr void fill_q8_0(DenseTileSet& set, std::integer_sequence<int, R...>) {
    ((set.tiles[R][T - 1] = &q8_0_tile<R + 1, T>), ...);
}
template <int... T>
constexpr DenseTileSet make_q8_0(std::integer_sequence<int, T...>) {
    DenseTileSet set{kDenseMaxRows, kDenseMaxTokens, {}};
    (fill_q8_0<T + 1>(set, std::make_integer_sequence<int, kDenseMaxRows>{}), ...);
    return set;
}
constexpr DenseTileSet kQ8_0 = make_q8_0(std::make_integer_sequence<int, kDenseMaxTokens>{});

}  // namespace

const DenseTileSet& dense_q8_0_tiles() { return kQ8_0; }

}  // namespace bitnet::avx512
