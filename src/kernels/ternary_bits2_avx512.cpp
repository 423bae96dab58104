// AVX-512 VNNI micro-kernels for the bits2 layout (2-bit codes, I2_S-compatible rows).
//
// A 64-byte chunk holds 256 weights as four bit planes; plane g of every byte is one 64-lane
// vector of codes 0..2 after a shift and a mask, and the activations were stored permuted by
// quantize_acts so that plane g multiplies the 64 contiguous int8 at 256c + 64g. vpdpbusd takes
// the codes as unsigned bytes and the activations as signed bytes, which is exactly this shape;
// the +1 code offset is removed once per row by the caller (acc - sum(q)). Accumulators keep 16
// int32 partial sums per (row, token) and are reduced only after the whole row.
#include "kernels/x86_intrin.hpp"

#include <utility>

#include "kernels/avx512_util.hpp"
#include "kernels/ternary_avx512.hpp"

namespace bitnet::avx512 {

namespace {

// Prefetch distance for the one-token kernel, in bytes ahead within each row stream.
constexpr int64_t kPrefetchBytes = 768;

template <int G>
BITNET_ALWAYS_INLINE __m512i code_plane(__m512i raw) {
    const __m512i three = _mm512_set1_epi8(3);
    if constexpr (G == 3) {
        return _mm512_and_si512(raw, three);
    } else {
        // 16-bit shifts drag bits across byte boundaries; the mask removes them.
        return _mm512_and_si512(_mm512_srli_epi16(raw, 6 - 2 * G), three);
    }
}

template <int R, int T>
struct Tile {
    __m512i acc[R][T];

    template <int G>
    BITNET_ALWAYS_INLINE void plane(const __m512i* raw, const int8_t* a, size_t as, int64_t k0) {
        __m512i code[R];
        for (int r = 0; r < R; ++r) code[r] = code_plane<G>(raw[r]);
        for (int t = 0; t < T; ++t) {
            const __m512i act = _mm512_loadu_si512(a + t * as + k0);
            for (int r = 0; r < R; ++r) acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], code[r], act);
        }
    }

    BITNET_ALWAYS_INLINE void chunk(const TileArgs& args, int64_t c) {
        __m512i raw[R];
        for (int r = 0; r < R; ++r) {
            const uint8_t* p = args.w + r * args.w_stride + 64 * c;
            if constexpr (T == 1) _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
            raw[r] = _mm512_loadu_si512(p);
        }
        plane<0>(raw, args.a, args.a_stride, 256 * c);
        plane<1>(raw, args.a, args.a_stride, 256 * c + 64);
        plane<2>(raw, args.a, args.a_stride, 256 * c + 128);
        plane<3>(raw, args.a, args.a_stride, 256 * c + 192);
    }

    // Trailing half chunk: 32 bytes, 128 weights in natural order (plane g = weights 32g..32g+31).
    // The bytes are broadcast to both 256-bit halves and each half is shifted by its own plane, so
    // one vector covers planes (0, 1) and another (2, 3): 64 contiguous activations each.
    void half_chunk(const TileArgs& args, int64_t n_chunks) {
        const __m512i shift01 = _mm512_inserti64x4(_mm512_set1_epi16(6), _mm256_set1_epi16(4), 1);
        const __m512i shift23 = _mm512_inserti64x4(_mm512_set1_epi16(2), _mm256_set1_epi16(0), 1);
        const __m512i three = _mm512_set1_epi8(3);
        const int64_t k0 = 256 * n_chunks;
        for (int r = 0; r < R; ++r) {
            const auto* p = reinterpret_cast<const __m256i*>(args.w + r * args.w_stride + 64 * n_chunks);
            const __m512i raw = _mm512_broadcast_i64x4(_mm256_loadu_si256(p));
            const __m512i c01 = _mm512_and_si512(_mm512_srlv_epi16(raw, shift01), three);
            const __m512i c23 = _mm512_and_si512(_mm512_srlv_epi16(raw, shift23), three);
            for (int t = 0; t < T; ++t) {
                const int8_t* a = args.a + t * args.a_stride + k0;
                acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], c01, _mm512_loadu_si512(a));
                acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], c23, _mm512_loadu_si512(a + 64));
            }
        }
    }
};

template <int R, int T>
void tile(const TileArgs& args, int32_t* dots) {
    Tile<R, T> tl;
    for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) tl.acc[r][t] = _mm512_setzero_si512();
    }
    const int64_t n_chunks = args.cols / 256;
    for (int64_t c = 0; c < n_chunks; ++c) tl.chunk(args, c);
    if (args.cols % 256 != 0) tl.half_chunk(args, n_chunks);
    reduce_tile<R, T>(tl.acc, dots);
}

template <int T, int... R>
constexpr void fill_gemm_column(TileSet& set, std::integer_sequence<int, R...>) {
    ((set.gemm[R][T - 1] = &tile<R + 1, T>), ...);
}

template <int... T>
constexpr void fill_gemm(TileSet& set, std::integer_sequence<int, T...>) {
    (fill_gemm_column<T + 1>(set, std::make_integer_sequence<int, kGemmRows>{}), ...);
}

template <int... R>
constexpr void fill_gemv(TileSet& set, std::integer_sequence<int, R...>) {
    ((set.gemv[R] = &tile<R + 1, 1>), ...);
}

constexpr TileSet make_tiles() {
    TileSet set{};
    fill_gemv(set, std::make_integer_sequence<int, kGemvRows>{});
    fill_gemm(set, std::make_integer_sequence<int, kGemmTokens>{});
    return set;
}

constexpr TileSet kTiles = make_tiles();

}  // namespace

const TileSet& bits2_tiles() { return kTiles; }

}  // namespace bitnet::avx512
