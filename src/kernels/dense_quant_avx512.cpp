// AVX-512 VNNI tiles for block-quantized weight rows: Q8_0 x Q8_0 and Q6_K x Q8_K.
//
// Q8_0: two 34-byte blocks per step share one zmm (block b in the low half, b + 1 in the high
// half). vpdpbusd wants an unsigned operand, so the weights are offset by 128 (xor 0x80) and the
// accumulator starts at -128 * sum(a) per lane (itself one vpdpbusd of 0x80 bytes with a), which
// keeps the integer dot exact for any int8 input. The per-block scales then apply in f32.
//
// Q6_K: the 6-bit codes (0..63) are rebuilt from ql/qh with a shift, a mask and a ternary-logic
// merge per 64 values; vpdpbusd gives 4-value partial dots that fit int16, so pairs of vectors are
// packed to int16 and weighted by the int8 group scales with vpdpwssd (exact int32). The -32
// code offset is removed with the activation block sums: sum_j sc_j * 32 * bsums_j.
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

// Group-scale patterns for the packed int16 partial dots (see the file comment): in 128-bit lane
// L, packs(d0, d1) holds groups L (words 0-3) and 4 + L (words 4-7); packs(d2, d3) groups 8 + L, 12 + L.
struct Q6Patterns {
    alignas(64) uint16_t p01[32];
    alignas(64) uint16_t p23[32];
};
constexpr Q6Patterns make_q6_patterns() {
    Q6Patterns p{};
    BITNET_UNROLL
    for (int lane = 0; lane < 4; ++lane) {
        BITNET_UNROLL
        for (int j = 0; j < 8; ++j) {
            p.p01[8 * lane + j] = static_cast<uint16_t>(j < 4 ? lane : 4 + lane);
            p.p23[8 * lane + j] = static_cast<uint16_t>(j < 4 ? 8 + lane : 12 + lane);
        }
    }
    return p;
}
constexpr Q6Patterns kQ6Patterns = make_q6_patterns();

struct Q6Row {
    __m512i q[4];      // codes 0..63 of the block's 256 values, natural order
    __m512i s01, s23;  // int16 group scales matching the packed partial dots
    __m256i sc16;      // the 16 group scales as int16 (for the -32 correction)
    float d;
};

BITNET_ALWAYS_INLINE void decode_q6(const uint8_t* blk, Q6Row& row) {
    const __m512i low4 = _mm512_set1_epi8(0x0f), bits54 = _mm512_set1_epi8(0x30);
    const __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shr = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(2), 1);
    BITNET_UNROLL
    for (int h = 0; h < 2; ++h) {
        const __m512i l = _mm512_loadu_si512(blk + 64 * h);
        const __m512i hb =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * h)));
        // 0xf8: a | (b & c). The high bits are moved to bits 5:4 (left 4 / left 2 for the first 64
        // values, 0 / right 2 for the next 64) and masked there.
        row.q[2 * h] = _mm512_ternarylogic_epi32(_mm512_and_si512(l, low4), _mm512_sllv_epi16(hb, shl), bits54, 0xf8);
        row.q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(l, 4), low4),
                                                     _mm512_srlv_epi16(hb, shr), bits54, 0xf8);
    }
    row.sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192)));
    const __m512i sc = _mm512_castsi256_si512(row.sc16);
    row.s01 = _mm512_permutexvar_epi16(_mm512_load_si512(kQ6Patterns.p01), sc);
    row.s23 = _mm512_permutexvar_epi16(_mm512_load_si512(kQ6Patterns.p23), sc);
    row.d = _cvtsh_ss(load_u16(blk + 208));
}

template <int R, int T>
void q6_k_tile(const DenseTileArgs& args, float* dots) {
    __m512 acc[R][T];
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    }
    const int64_t n_blocks = args.cols / 256;
    for (int64_t b = 0; b < n_blocks; ++b) {
        Q6Row rows[R];
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) decode_q6(args.w + r * args.w_stride + 210 * b, rows[r]);
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const BlockQ8_K& ab = reinterpret_cast<const BlockQ8_K*>(args.a + t * args.a_stride)[b];
            __m512i av[4];
            BITNET_UNROLL
            for (int i = 0; i < 4; ++i) av[i] = _mm512_loadu_si512(ab.qs + 64 * i);
            const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab.bsums));
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) {
                const Q6Row& w = rows[r];
                const __m512i zero = _mm512_setzero_si512();
                __m512i d[4];
                BITNET_UNROLL
                for (int i = 0; i < 4; ++i) d[i] = _mm512_dpbusd_epi32(zero, w.q[i], av[i]);
                __m512i s = _mm512_dpwssd_epi32(zero, _mm512_packs_epi32(d[0], d[1]), w.s01);
                s = _mm512_dpwssd_epi32(s, _mm512_packs_epi32(d[2], d[3]), w.s23);
                const __m256i corr = _mm256_slli_epi32(_mm256_madd_epi16(w.sc16, bsums), 5);
                s = _mm512_sub_epi32(s, _mm512_zextsi256_si512(corr));
                acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(w.d * ab.d), acc[r][t]);
            }
        }
    }
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = _mm512_reduce_add_ps(acc[r][t]);
    }
}

template <int T, int... R>
constexpr void fill_q8_0(DenseTileSet& set, std::integer_sequence<int, R...>) {
    ((set.tiles[R][T - 1] = &q8_0_tile<R + 1, T>), ...);
}
template <int T, int... R>
constexpr void fill_q6_k(DenseTileSet& set, std::integer_sequence<int, R...>) {
    ((set.tiles[R][T - 1] = &q6_k_tile<R + 1, T>), ...);
}

template <int... T>
constexpr DenseTileSet make_q8_0(std::integer_sequence<int, T...>) {
    DenseTileSet set{kDenseMaxRows, kDenseMaxTokens, {}};
    (fill_q8_0<T + 1>(set, std::make_integer_sequence<int, kDenseMaxRows>{}), ...);
    return set;
}
template <int... T>
constexpr DenseTileSet make_q6_k(std::integer_sequence<int, T...>) {
    DenseTileSet set{kDenseMaxRows, kDenseMaxTokens, {}};
    (fill_q6_k<T + 1>(set, std::make_integer_sequence<int, kDenseMaxRows>{}), ...);
    return set;
}

constexpr DenseTileSet kQ8_0 = make_q8_0(std::make_integer_sequence<int, kDenseMaxTokens>{});
constexpr DenseTileSet kQ6_K = make_q6_k(std::make_integer_sequence<int, kDenseMaxTokens>{});

}  // namespace

const DenseTileSet& dense_q8_0_tiles() { return kQ8_0; }
const DenseTileSet& dense_q6_k_tiles() { return kQ6_K; }

}  // namespace bitnet::avx512
