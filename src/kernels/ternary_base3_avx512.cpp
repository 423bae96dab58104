// AVX-512 VBMI + VNNI micro-kernels for the base3 layout (5 trits per byte, 1.6 bits per weight).
//
// Byte i of a 64-byte chunk holds digits n = 0..4 of weights 320c + 64n + i. Instead of the
// multiply-based digit extraction, two 256-entry byte tables decode a whole vector at once:
// `packed` maps a byte to its digits 0..3 as 2-bit fields (d0 in bits 7:6 ... d3 in bits 1:0, the
// same shape as one bits2 byte) and `last` maps it to digit 4. A 256-entry lookup is two
// vpermi2b over 128-entry halves (bit 7 of the index is ignored) and a blend on the index's sign
// bit. After that, plane n is a shift and a mask, and multiplies the 64 natural-order activations
// at 320c + 64n with vpdpbusd. Activations past `cols` are masked to zero, so the padding codes
// (and whatever the caller left after the row) never contribute.
#include "kernels/x86_intrin.hpp"

#include <utility>

#include "kernels/avx512_util.hpp"
#include "kernels/ternary_avx512.hpp"

namespace bitnet::avx512 {

namespace {

constexpr int64_t kPrefetchBytes = 768;

struct Base3Tables {
    alignas(64) uint8_t packed[256];
    alignas(64) uint8_t last[256];
};

constexpr int base3_digit(int byte, int n) {
    int t = byte;
    for (int i = 0; i < n; ++i) t = (t * 3) & 0xff;
    return (t * 3) >> 8;
}

constexpr Base3Tables make_tables() {
    Base3Tables tables{};
    for (int b = 0; b < 256; ++b) {
        tables.packed[b] = static_cast<uint8_t>(base3_digit(b, 0) << 6 | base3_digit(b, 1) << 4 |
                                                base3_digit(b, 2) << 2 | base3_digit(b, 3));
        tables.last[b] = static_cast<uint8_t>(base3_digit(b, 4));
    }
    return tables;
}

constexpr Base3Tables kTables = make_tables();

struct Lut256 {
    __m512i q0, q1, q2, q3;  // entries 0-63, 64-127, 128-191, 192-255
    explicit Lut256(const uint8_t* table)
        : q0(_mm512_load_si512(table)),
          q1(_mm512_load_si512(table + 64)),
          q2(_mm512_load_si512(table + 128)),
          q3(_mm512_load_si512(table + 192)) {}
    BITNET_ALWAYS_INLINE __m512i lookup(__m512i idx, __mmask64 high) const {
        const __m512i lo = _mm512_permutex2var_epi8(q0, idx, q1);
        const __m512i hi = _mm512_permutex2var_epi8(q2, idx, q3);
        return _mm512_mask_blend_epi8(high, lo, hi);
    }
};

template <int N>
BITNET_ALWAYS_INLINE __m512i digit_plane(__m512i packed, __m512i last) {
    const __m512i three = _mm512_set1_epi8(3);
    if constexpr (N == 4) {
        return last;
    } else if constexpr (N == 3) {
        return _mm512_and_si512(packed, three);
    } else {
        return _mm512_and_si512(_mm512_srli_epi16(packed, 6 - 2 * N), three);
    }
}

// One (R rows x T tokens) accumulator block; members are forced inline so the accumulators stay
// in registers across the whole row.
template <int R, int T>
struct Tile {
    __m512i acc[R][T];

    // Digit plane N of a chunk against the 64 activations at k0 (masked past the row when Tail).
    template <int N, bool Tail>
    BITNET_ALWAYS_INLINE void plane(const __m512i* packed, const __m512i* last, const int8_t* a, size_t as, int64_t k0,
                                    int64_t cols) {
        if (Tail && k0 >= cols) return;
        __m512i code[R];
        for (int r = 0; r < R; ++r) code[r] = digit_plane<N>(packed[r], last[r]);
        const __mmask64 valid = Tail ? first_bytes(cols - k0) : ~__mmask64{0};
        for (int t = 0; t < T; ++t) {
            const __m512i act = Tail ? _mm512_maskz_loadu_epi8(valid, a + t * as + k0) : _mm512_loadu_si512(a + t * as + k0);
            for (int r = 0; r < R; ++r) acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], code[r], act);
        }
    }

    template <bool Tail>
    BITNET_ALWAYS_INLINE void chunk(const TileArgs& args, const Lut256& packed_lut, const Lut256& last_lut, int64_t c) {
        __m512i packed[R], last[R];
        for (int r = 0; r < R; ++r) {
            const uint8_t* p = args.w + r * args.w_stride + 64 * c;
            if constexpr (T == 1) _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
            const __m512i raw = _mm512_loadu_si512(p);
            const __mmask64 high = _mm512_movepi8_mask(raw);
            packed[r] = packed_lut.lookup(raw, high);
            last[r] = last_lut.lookup(raw, high);
        }
        const int64_t k0 = 320 * c;
        plane<0, Tail>(packed, last, args.a, args.a_stride, k0, args.cols);
        plane<1, Tail>(packed, last, args.a, args.a_stride, k0 + 64, args.cols);
        plane<2, Tail>(packed, last, args.a, args.a_stride, k0 + 128, args.cols);
        plane<3, Tail>(packed, last, args.a, args.a_stride, k0 + 192, args.cols);
        plane<4, Tail>(packed, last, args.a, args.a_stride, k0 + 256, args.cols);
    }
};

template <int R, int T>
void tile(const TileArgs& args, int32_t* dots) {
    Tile<R, T> tl;
    for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) tl.acc[r][t] = _mm512_setzero_si512();
    }
    const Lut256 packed_lut(kTables.packed), last_lut(kTables.last);
    const int64_t n_full = args.cols / 320;
    for (int64_t c = 0; c < n_full; ++c) tl.template chunk<false>(args, packed_lut, last_lut, c);
    if (args.cols % 320 != 0) tl.template chunk<true>(args, packed_lut, last_lut, n_full);
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

const TileSet& base3_tiles() { return kTiles; }

}  // namespace bitnet::avx512
