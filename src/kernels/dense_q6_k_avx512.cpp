// AVX-512 VNNI Q6_K x Q8_K matmul (the LM head of the official BitNet GGUF files).
//
// Each 256-value block of a weight row is decoded once into signed codes q - 32, its 16 group
// scales in the order of the packed partial dots, and a correction vector. A token then costs four
// vpdpbusd of the activations offset to unsigned (a + 128) by those codes, two packs to int16 (the
// 4-value partial dots are within +-4 * 255 * 32 = 32640) and two vpdpwssd by the group scales.
// The offset is put on the activations, not on the codes, because its correction then depends on
// the weights alone: -128 * sum of (q - 32) * scale over each lane's values, computed once per
// block and used as the start of the vpdpwssd chain, instead of a correction per (row, token).
//
// One token (decode) and many (a server step decoding many sequences) run the same per-block
// arithmetic, so a (row, token) result never depends on the call shape. Many tokens: each row is
// decoded into an L1 scratch once and the tokens pass over it kTokenGroup at a time.
#include <array>
#include <utility>

#include "core/aligned_buffer.hpp"
#include "kernels/avx512_util.hpp"
#include "kernels/dense_avx512.hpp"
#include "kernels/variants.hpp"
#include "kernels/x86_intrin.hpp"

namespace bitnet::avx512 {

namespace {

constexpr int kTokenGroup = 8;  // accumulators in registers per decoded row

struct alignas(64) Q6Block {
    __m512i q[4];      // q - 32 of values 64i .. 64i + 63
    __m512i s01, s23;  // int16 group scales matching packs(d0, d1) and packs(d2, d3)
    __m512i corr;      // -128 * sum over each lane's values of (q - 32) * scale
    __m512 d;          // the block's scale, broadcast
};

// Group-scale patterns for the packed int16 partial dots: in 128-bit lane L, packs(d0, d1) holds
// groups L (words 0-3) and 4 + L (words 4-7); packs(d2, d3) groups 8 + L and 12 + L.
struct Q6Patterns {
    alignas(64) uint16_t p01[32];
    alignas(64) uint16_t p23[32];
};
constexpr Q6Patterns make_q6_patterns() {
    Q6Patterns p{};
    for (int lane = 0; lane < 4; ++lane) {
        for (int j = 0; j < 8; ++j) {
            p.p01[8 * lane + j] = static_cast<uint16_t>(j < 4 ? lane : 4 + lane);
            p.p23[8 * lane + j] = static_cast<uint16_t>(j < 4 ? 8 + lane : 12 + lane);
        }
    }
    return p;
}
constexpr Q6Patterns kQ6Patterns = make_q6_patterns();

inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

// Scale-weighted sum of four vectors of 4-value int32 partial dots, starting from `init`.
BITNET_ALWAYS_INLINE __m512i scale_groups(__m512i init, const __m512i (&d)[4], __m512i s01, __m512i s23) {
    const __m512i s = _mm512_dpwssd_epi32(init, _mm512_packs_epi32(d[0], d[1]), s01);
    return _mm512_dpwssd_epi32(s, _mm512_packs_epi32(d[2], d[3]), s23);
}

// ggml's block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), d (fp16).
void decode_block(const uint8_t* blk, Q6Block& out) {
    const __m512i low4 = _mm512_set1_epi8(0x0f), bits54 = _mm512_set1_epi8(0x30), bias = _mm512_set1_epi8(32);
    const __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shr = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(2), 1);
    __m512i q[4];
    BITNET_UNROLL
    for (int h = 0; h < 2; ++h) {
        const __m512i l = _mm512_loadu_si512(blk + 64 * h);
        const __m512i hb =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * h)));
        // 0xf8: a | (b & c). The high bits are moved to bits 5:4 (left 4 / left 2 for the first 64
        // values, 0 / right 2 for the next 64) and masked there.
        q[2 * h] = _mm512_ternarylogic_epi32(_mm512_and_si512(l, low4), _mm512_sllv_epi16(hb, shl), bits54, 0xf8);
        q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(l, 4), low4),
                                                 _mm512_srlv_epi16(hb, shr), bits54, 0xf8);
    }
    const __m512i ones = _mm512_set1_epi8(1), zero = _mm512_setzero_si512();
    __m512i sums[4];
    BITNET_UNROLL
    for (int i = 0; i < 4; ++i) {
        out.q[i] = _mm512_sub_epi8(q[i], bias);
        sums[i] = _mm512_dpbusd_epi32(zero, ones, out.q[i]);
    }
    const __m512i sc = _mm512_cvtepi8_epi16(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192))));
    out.s01 = _mm512_permutexvar_epi16(_mm512_load_si512(kQ6Patterns.p01), sc);
    out.s23 = _mm512_permutexvar_epi16(_mm512_load_si512(kQ6Patterns.p23), sc);
    out.corr = _mm512_sub_epi32(zero, _mm512_slli_epi32(scale_groups(zero, sums, out.s01, out.s23), 7));
    out.d = _mm512_set1_ps(_cvtsh_ss(load_u16(blk + 208)));
}

// acc[t] += (integer dot of the block with token t) * d * d_t, for T tokens over all blocks of a
// decoded row; out[t * out_stride] = the horizontal sums.
template <int T>
void row_tokens(const Q6Block* blocks, int64_t n_blocks, const uint8_t* a_u8, size_t u8_stride, const uint8_t* acts,
                size_t act_stride, float* out, size_t out_stride) {
    __m512 acc[T];
    BITNET_UNROLL
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < n_blocks; ++b) {
        const Q6Block& w = blocks[b];
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const uint8_t* a = a_u8 + t * u8_stride + 256 * b;
            __m512i d[4];
            BITNET_UNROLL
            for (int i = 0; i < 4; ++i) {
                d[i] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_load_si512(a + 64 * i), w.q[i]);
            }
            const __m512i s = scale_groups(w.corr, d, w.s01, w.s23);
            const float da = reinterpret_cast<const BlockQ8_K*>(acts + t * act_stride)[b].d;
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(w.d, _mm512_set1_ps(da)), acc[t]);
        }
    }
    BITNET_UNROLL
    for (int t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]);
}

using RowTokensFn = void (*)(const Q6Block*, int64_t, const uint8_t*, size_t, const uint8_t*, size_t, float*, size_t);
template <int... T>
constexpr auto make_row_tokens(std::integer_sequence<int, T...>) {
    return std::array<RowTokensFn, sizeof...(T)>{&row_tokens<T + 1>...};
}
constexpr auto kRowTokens = make_row_tokens(std::make_integer_sequence<int, kTokenGroup>{});

}  // namespace

void q6_k_matmul(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const void* acts, size_t act_stride,
                 int64_t n_tokens, float* out, size_t out_stride) {
    if (row_begin >= row_end || n_tokens <= 0) return;
    const int64_t n_blocks = w.cols / 256;
    const auto* a_bytes = static_cast<const uint8_t*>(acts);
    // Per thread, grown once: the tokens' int8 values as unsigned (+128), and one decoded row.
    thread_local AlignedBuffer<uint8_t> a_u8;
    thread_local AlignedBuffer<Q6Block> row;
    const auto u8_stride = static_cast<size_t>(w.cols);
    if (a_u8.size() < u8_stride * static_cast<size_t>(n_tokens)) a_u8.reset(u8_stride * static_cast<size_t>(n_tokens));
    if (row.size() < static_cast<size_t>(n_blocks)) row.reset(static_cast<size_t>(n_blocks));
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    for (int64_t t = 0; t < n_tokens; ++t) {
        const auto* blocks = reinterpret_cast<const BlockQ8_K*>(a_bytes + static_cast<size_t>(t) * act_stride);
        uint8_t* dst = a_u8.data() + static_cast<size_t>(t) * u8_stride;
        for (int64_t b = 0; b < n_blocks; ++b) {
            for (int i = 0; i < 4; ++i) {
                _mm512_store_si512(dst + 256 * b + 64 * i, _mm512_xor_si512(_mm512_loadu_si512(blocks[b].qs + 64 * i), flip));
            }
        }
    }
    for (int64_t r = row_begin; r < row_end; ++r) {
        const uint8_t* src = w.data + static_cast<size_t>(r) * w.row_stride;
        prefetch_lines(src + kStreamPrefetchBytes, w.row_stride);
        for (int64_t b = 0; b < n_blocks; ++b) decode_block(src + 210 * b, row[static_cast<size_t>(b)]);
        for (int64_t t = 0; t < n_tokens; t += kTokenGroup) {
            const int nt = static_cast<int>(n_tokens - t < kTokenGroup ? n_tokens - t : kTokenGroup);
            kRowTokens[static_cast<size_t>(nt - 1)](row.data(), n_blocks, a_u8.data() + static_cast<size_t>(t) * u8_stride,
                                                  u8_stride, a_bytes + static_cast<size_t>(t) * act_stride, act_stride,
                                                  out + static_cast<size_t>(t) * out_stride + static_cast<size_t>(r),
                                                  out_stride);
        }
    }
}

}  // namespace bitnet::avx512
