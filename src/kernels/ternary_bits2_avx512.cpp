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
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) code[r] = code_plane<G>(raw[r]);
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const __m512i act = _mm512_loadu_si512(a + t * as + k0);
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], code[r], act);
        }
    }

    BITNET_ALWAYS_INLINE void chunk(const TileArgs& args, int64_t c) {
        __m512i raw[R];
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) {
            raw[r] = _mm512_loadu_si512(args.w + r * args.w_stride + 64 * c);
        }
        prefetch_chunk_ahead<R>(args, c);
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
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) {
            const auto* p = reinterpret_cast<const __m256i*>(args.w + r * args.w_stride + 64 * n_chunks);
            const __m512i raw = _mm512_broadcast_i64x4(_mm256_loadu_si256(p));
            const __m512i c01 = _mm512_and_si512(_mm512_srlv_epi16(raw, shift01), three);
            const __m512i c23 = _mm512_and_si512(_mm512_srlv_epi16(raw, shift23), three);
            BITNET_UNROLL
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
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) tl.acc[r][t] = _mm512_setzero_si512();
    }
    const int64_t n_chunks = args.cols / 256;
    for (int64_t c = 0; c < n_chunks; ++c) tl.chunk(args, c);
    if (args.cols % 256 != 0) tl.half_chunk(args, n_chunks);
    reduce_tile<R, T>(tl.acc, dots);
}

// One-token chunk. Without register blocking the decode would dominate, so the planes are not
// shifted down: plane g is masked in place and contributes code * 4^(3-g); each accumulator is an
// exact multiple of its power of 4 and is shifted back once per row.
BITNET_ALWAYS_INLINE void gemv_chunk(const uint8_t* w, const int8_t* ac, __m512i& a0, __m512i& a1, __m512i& a2,
                                     __m512i& a3) {
    const __m512i raw = _mm512_loadu_si512(w);
    a0 = _mm512_dpbusd_epi32(a0, _mm512_and_si512(raw, _mm512_set1_epi8(static_cast<char>(0xc0))),
                             _mm512_loadu_si512(ac));
    a1 = _mm512_dpbusd_epi32(a1, _mm512_and_si512(raw, _mm512_set1_epi8(0x30)), _mm512_loadu_si512(ac + 64));
    a2 = _mm512_dpbusd_epi32(a2, _mm512_and_si512(raw, _mm512_set1_epi8(0x0c)), _mm512_loadu_si512(ac + 128));
    a3 = _mm512_dpbusd_epi32(a3, _mm512_and_si512(raw, _mm512_set1_epi8(0x03)), _mm512_loadu_si512(ac + 192));
}

// Rows one after another (see ternary_avx512.hpp); two chunks per iteration keep eight
// accumulators in flight, enough to hide the vpdpbusd latency.
void gemv(const TileArgs& args, int n_rows, int32_t* dots) {
    const int64_t n_chunks = args.cols / 256;
    __m512i sums[kGemvRows];
    for (int r = 0; r < n_rows; ++r) {
        const uint8_t* w = args.w + r * args.w_stride;
        const int8_t* a = args.a;
        __m512i x0 = _mm512_setzero_si512(), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0;
        int64_t c = 0;
        for (; c + 2 <= n_chunks; c += 2) {
            prefetch_stream(w + 64 * c);
            prefetch_stream(w + 64 * c + 64);
            gemv_chunk(w + 64 * c, a + 256 * c, x0, x1, x2, x3);
            gemv_chunk(w + 64 * c + 64, a + 256 * c + 256, y0, y1, y2, y3);
        }
        if (c < n_chunks) gemv_chunk(w + 64 * c, a + 256 * c, x0, x1, x2, x3);
        x0 = _mm512_add_epi32(x0, y0);
        x1 = _mm512_add_epi32(x1, y1);
        x2 = _mm512_add_epi32(x2, y2);
        x3 = _mm512_add_epi32(x3, y3);
        if (args.cols % 256 != 0) {
            Tile<1, 1> half;
            half.acc[0][0] = x3;
            half.half_chunk({w, args.w_stride, args.cols, a, 0}, n_chunks);
            x3 = half.acc[0][0];
        }
        sums[r] = _mm512_add_epi32(_mm512_add_epi32(_mm512_srai_epi32(x0, 6), _mm512_srai_epi32(x1, 4)),
                                   _mm512_add_epi32(_mm512_srai_epi32(x2, 2), x3));
    }
    BITNET_UNROLL
    for (int r = n_rows; r < kGemvRows; ++r) sums[r] = _mm512_setzero_si512();
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dots), hsum4_epi32(sums[0], sums[1], sums[2], sums[3]));
}

// Small batch (2..kGemvTokens tokens; on cold weights this beats the GEMM tiles up to 3 tokens):
// rows one after another, masked planes as in gemv(), one accumulator per plane and token.
template <int T>
void gemv_batch(const TileArgs& args, int n_rows, int32_t* dots) {
    const int64_t n_chunks = args.cols / 256;
    const __m512i mask[4] = {_mm512_set1_epi8(static_cast<char>(0xc0)), _mm512_set1_epi8(0x30), _mm512_set1_epi8(0x0c),
                             _mm512_set1_epi8(0x03)};
    for (int r = 0; r < n_rows; ++r) {
        const uint8_t* w = args.w + r * args.w_stride;
        __m512i acc[4][T];
        BITNET_UNROLL
        for (auto& plane : acc) {
            BITNET_UNROLL
            for (auto& x : plane) x = _mm512_setzero_si512();
        }
        for (int64_t c = 0; c < n_chunks; ++c) {
            const __m512i raw = _mm512_loadu_si512(w + 64 * c);
            BITNET_UNROLL
            for (int g = 0; g < 4; ++g) {
                const __m512i code = _mm512_and_si512(raw, mask[g]);
                BITNET_UNROLL
                for (int t = 0; t < T; ++t) {
                    acc[g][t] = _mm512_dpbusd_epi32(acc[g][t], code,
                                                    _mm512_loadu_si512(args.a + t * args.a_stride + 256 * c + 64 * g));
                }
            }
        }
        __m512i sums[4];
        BITNET_UNROLL
        for (int t = 0; t < 4; ++t) sums[t] = _mm512_setzero_si512();
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            sums[t] =
                _mm512_add_epi32(_mm512_add_epi32(_mm512_srai_epi32(acc[0][t], 6), _mm512_srai_epi32(acc[1][t], 4)),
                                 _mm512_add_epi32(_mm512_srai_epi32(acc[2][t], 2), acc[3][t]));
        }
        if (args.cols % 256 != 0) {
            Tile<1, T> half;
            BITNET_UNROLL
            for (int t = 0; t < T; ++t) half.acc[0][t] = sums[t];
            half.half_chunk({w, args.w_stride, args.cols, args.a, args.a_stride}, n_chunks);
            BITNET_UNROLL
            for (int t = 0; t < T; ++t) sums[t] = half.acc[0][t];
        }
        alignas(16) int32_t s[4];
        _mm_store_si128(reinterpret_cast<__m128i*>(s), hsum4_epi32(sums[0], sums[1], sums[2], sums[3]));
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = s[t];
    }
}

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

const TileSet& bits2_tiles() { return kTiles; }

}  // namespace bitnet::avx512
