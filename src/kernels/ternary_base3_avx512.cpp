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

#include <cstring>
#include <utility>

#include "kernels/avx512_util.hpp"
#include "kernels/ternary_avx512.hpp"

namespace bitnet::avx512 {

namespace {

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
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) code[r] = digit_plane<N>(packed[r], last[r]);
        const __mmask64 valid = Tail ? first_bytes(cols - k0) : ~__mmask64{0};
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const __m512i act =
                Tail ? _mm512_maskz_loadu_epi8(valid, a + t * as + k0) : _mm512_loadu_si512(a + t * as + k0);
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], code[r], act);
        }
    }

    template <bool Tail>
    BITNET_ALWAYS_INLINE void chunk(const TileArgs& args, const Lut256& packed_lut, const Lut256& last_lut, int64_t c) {
        __m512i packed[R], last[R];
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) {
            const __m512i raw = _mm512_loadu_si512(args.w + r * args.w_stride + 64 * c);
            const __mmask64 high = _mm512_movepi8_mask(raw);
            packed[r] = packed_lut.lookup(raw, high);
            last[r] = last_lut.lookup(raw, high);
        }
        prefetch_chunk_ahead<R>(args, c);
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
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) tl.acc[r][t] = _mm512_setzero_si512();
    }
    const Lut256 packed_lut(kTables.packed), last_lut(kTables.last);
    const int64_t n_full = args.cols / 320;
    for (int64_t c = 0; c < n_full; ++c) tl.template chunk<false>(args, packed_lut, last_lut, c);
    if (args.cols % 320 != 0) tl.template chunk<true>(args, packed_lut, last_lut, n_full);
    reduce_tile<R, T>(tl.acc, dots);
}

// One-token chunk: digits 0-3 masked in place (digit n contributes d * 4^(3-n)), digit 4 from
// its own table; five independent accumulators.
BITNET_ALWAYS_INLINE void gemv_chunk(const uint8_t* w, const int8_t* ac, const Lut256& packed_lut,
                                     const Lut256& last_lut, __m512i& a0, __m512i& a1, __m512i& a2, __m512i& a3,
                                     __m512i& a4) {
    const __m512i raw = _mm512_loadu_si512(w);
    const __mmask64 high = _mm512_movepi8_mask(raw);
    const __m512i packed = packed_lut.lookup(raw, high), last = last_lut.lookup(raw, high);
    a0 = _mm512_dpbusd_epi32(a0, _mm512_and_si512(packed, _mm512_set1_epi8(static_cast<char>(0xc0))),
                             _mm512_loadu_si512(ac));
    a1 = _mm512_dpbusd_epi32(a1, _mm512_and_si512(packed, _mm512_set1_epi8(0x30)), _mm512_loadu_si512(ac + 64));
    a2 = _mm512_dpbusd_epi32(a2, _mm512_and_si512(packed, _mm512_set1_epi8(0x0c)), _mm512_loadu_si512(ac + 128));
    a3 = _mm512_dpbusd_epi32(a3, _mm512_and_si512(packed, _mm512_set1_epi8(0x03)), _mm512_loadu_si512(ac + 192));
    a4 = _mm512_dpbusd_epi32(a4, last, _mm512_loadu_si512(ac + 256));
}

// Rows one after another (see ternary_avx512.hpp). As in the bits2 GEMV the masked digits are
// shifted back once per row; two chunks per iteration keep ten accumulators in flight.
void gemv(const TileArgs& args, int n_rows, int32_t* dots) {
    const Lut256 packed_lut(kTables.packed), last_lut(kTables.last);
    const int64_t n_full = args.cols / 320;
    __m512i sums[kGemvRows];
    for (int r = 0; r < n_rows; ++r) {
        const uint8_t* w = args.w + r * args.w_stride;
        const int8_t* a = args.a;
        __m512i x0 = _mm512_setzero_si512(), x1 = x0, x2 = x0, x3 = x0, x4 = x0;
        __m512i y0 = x0, y1 = x0, y2 = x0, y3 = x0, y4 = x0;
        int64_t c = 0;
        for (; c + 2 <= n_full; c += 2) {
            prefetch_stream(w + 64 * c);
            prefetch_stream(w + 64 * c + 64);
            gemv_chunk(w + 64 * c, a + 320 * c, packed_lut, last_lut, x0, x1, x2, x3, x4);
            gemv_chunk(w + 64 * c + 64, a + 320 * c + 320, packed_lut, last_lut, y0, y1, y2, y3, y4);
        }
        if (c < n_full) gemv_chunk(w + 64 * c, a + 320 * c, packed_lut, last_lut, x0, x1, x2, x3, x4);
        x0 = _mm512_add_epi32(x0, y0);
        x1 = _mm512_add_epi32(x1, y1);
        x2 = _mm512_add_epi32(x2, y2);
        x3 = _mm512_add_epi32(_mm512_add_epi32(x3, y3), _mm512_add_epi32(x4, y4));
        if (args.cols % 320 != 0) {
            Tile<1, 1> tail;
            tail.acc[0][0] = x3;
            tail.template chunk<true>({w, args.w_stride, args.cols, a, 0}, packed_lut, last_lut, n_full);
            x3 = tail.acc[0][0];
        }
        sums[r] = _mm512_add_epi32(_mm512_add_epi32(_mm512_srai_epi32(x0, 6), _mm512_srai_epi32(x1, 4)),
                                   _mm512_add_epi32(_mm512_srai_epi32(x2, 2), x3));
    }
    BITNET_UNROLL
    for (int r = n_rows; r < kGemvRows; ++r) sums[r] = _mm512_setzero_si512();
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dots), hsum4_epi32(sums[0], sums[1], sums[2], sums[3]));
}

// Small batch (2..kGemvTokens tokens; on cold weights this beats the GEMM tiles up to 3 tokens):
// rows one after another, masked digits as in gemv(), one accumulator per digit and token.
template <int T>
void gemv_batch(const TileArgs& args, int n_rows, int32_t* dots) {
    const Lut256 packed_lut(kTables.packed), last_lut(kTables.last);
    const __m512i mask[4] = {_mm512_set1_epi8(static_cast<char>(0xc0)), _mm512_set1_epi8(0x30), _mm512_set1_epi8(0x0c),
                             _mm512_set1_epi8(0x03)};
    const int64_t n_full = args.cols / 320;
    for (int r = 0; r < n_rows; ++r) {
        const uint8_t* w = args.w + r * args.w_stride;
        __m512i acc[5][T];
        BITNET_UNROLL
        for (auto& digit : acc) {
            BITNET_UNROLL
            for (auto& x : digit) x = _mm512_setzero_si512();
        }
        for (int64_t c = 0; c < n_full; ++c) {
            const __m512i raw = _mm512_loadu_si512(w + 64 * c);
            const __mmask64 high = _mm512_movepi8_mask(raw);
            const __m512i packed = packed_lut.lookup(raw, high), last = last_lut.lookup(raw, high);
            BITNET_UNROLL
            for (int n = 0; n < 5; ++n) {
                const __m512i code = n < 4 ? _mm512_and_si512(packed, mask[n]) : last;
                BITNET_UNROLL
                for (int t = 0; t < T; ++t) {
                    acc[n][t] = _mm512_dpbusd_epi32(acc[n][t], code,
                                                    _mm512_loadu_si512(args.a + t * args.a_stride + 320 * c + 64 * n));
                }
            }
        }
        __m512i sums[4];
        BITNET_UNROLL
        for (int t = 0; t < 4; ++t) sums[t] = _mm512_setzero_si512();
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            sums[t] = _mm512_add_epi32(
                _mm512_add_epi32(_mm512_srai_epi32(acc[0][t], 6), _mm512_srai_epi32(acc[1][t], 4)),
                _mm512_add_epi32(_mm512_srai_epi32(acc[2][t], 2), _mm512_add_epi32(acc[3][t], acc[4][t])));
        }
        if (args.cols % 320 != 0) {
            Tile<1, T> tail;
            BITNET_UNROLL
            for (int t = 0; t < T; ++t) tail.acc[0][t] = sums[t];
            tail.template chunk<true>({w, args.w_stride, args.cols, args.a, args.a_stride}, packed_lut, last_lut,
                                      n_full);
            BITNET_UNROLL
            for (int t = 0; t < T; ++t) sums[t] = tail.acc[0][t];
        }
        alignas(16) int32_t s[4];
        _mm_store_si128(reinterpret_cast<__m128i*>(s), hsum4_epi32(sums[0], sums[1], sums[2], sums[3]));
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = s[t];
    }
}

}  // namespace

bool base3_transcode_rows(const TileArgs& args, int n_rows, uint8_t* dst, size_t dst_stride) {
    const int64_t k_pad = (args.cols + 319) / 320 * 320;
    if (k_pad % 128 != 0) return false;
    const int64_t full = k_pad / 256;  // complete 256-weight chunks; the rest (0 or 128) is a half chunk
    const Lut256 packed_lut(kTables.packed), last_lut(kTables.last);
    for (int r = 0; r < n_rows; ++r) {
        const uint8_t* w = args.w + r * args.w_stride;
        uint8_t* d = dst + r * dst_stride;
        std::memset(d, 0, static_cast<size_t>(k_pad / 4));
        for (int64_t c = 0; c < k_pad / 320; ++c) {
            const __m512i raw = _mm512_loadu_si512(w + 64 * c);
            const __mmask64 high = _mm512_movepi8_mask(raw);
            const __m512i packed = packed_lut.lookup(raw, high), last = last_lut.lookup(raw, high);
            const __m512i planes[5] = {digit_plane<0>(packed, last), digit_plane<1>(packed, last),
                                       digit_plane<2>(packed, last), digit_plane<3>(packed, last), last};
            BITNET_UNROLL
            for (int n = 0; n < 5; ++n) {
                const int64_t k0 = 320 * c + 64 * n;  // 64 natural-order weights, inside one target plane
                if (k0 >= args.cols) break;
                const __m512i code = _mm512_maskz_mov_epi8(first_bytes(args.cols - k0), planes[n]);
                const int64_t c2 = k0 / 256, g = (k0 % 256) / 64;
                if (c2 < full) {
                    // 16-bit shifts of values <= 2 by <= 6 bits stay inside their byte.
                    auto* p = reinterpret_cast<__m512i*>(d + 64 * c2);
                    _mm512_storeu_si512(p, _mm512_or_si512(_mm512_loadu_si512(p),
                                                           _mm512_sll_epi16(code, _mm_cvtsi32_si128(6 - 2 * g))));
                } else {
                    // Half chunk: weights k0 + [0, 32) are plane 2g, k0 + [32, 64) plane 2g + 1.
                    auto* p = reinterpret_cast<__m256i*>(d + 64 * c2);
                    const __m256i lo = _mm256_sll_epi16(_mm512_castsi512_si256(code), _mm_cvtsi32_si128(6 - 4 * g));
                    const __m256i hi =
                        _mm256_sll_epi16(_mm512_extracti64x4_epi64(code, 1), _mm_cvtsi32_si128(4 - 4 * g));
                    _mm256_storeu_si256(p, _mm256_or_si256(_mm256_loadu_si256(p), _mm256_or_si256(lo, hi)));
                }
            }
        }
    }
    return true;
}

namespace {

// This layout's kernels, for make_tile_set.
struct Kernels {
    static constexpr GemvFn gemv = &avx512::gemv;
    template <int T>
    static constexpr GemvFn gemv_batch = &avx512::gemv_batch<T>;
    template <int R, int T>
    static constexpr TileFn tile = &avx512::tile<R, T>;
};

constexpr TileSet kTiles = make_tile_set<Kernels>();

}  // namespace

const TileSet& base3_tiles() { return kTiles; }

}  // namespace bitnet::avx512
