// AVX-512 VNNI Q6_K x Q8_K matmul (the LM head of the official BitNet GGUF files).
//
// A 256-value block: the 6-bit codes (0..63) are rebuilt from ql/qh with a shift, a mask and a
// ternary-logic merge per 64 values; vpdpbusd gives 4-value partial dots that fit int16, so pairs
// of vectors are packed to int16 and weighted by the int8 group scales with vpdpwssd (exact
// int32). The -32 code offset is removed with the activation block sums: the vpdpwssd chain starts
// from -sum_j sc_j * 32 * bsums_j (one vpmaddwd of the block's pre-scaled scales -32 * sc_j).
//
// One token (decode) reads the rows as one sequential stream and decodes each block in registers.
// Many tokens (a server step decoding many sequences): the activations are first repacked with
// their values on cache-line boundaries; kRowsPerPass rows at a time are decoded into an L1
// scratch and the tokens pass over them kTokenGroup at a time, so the decode is shared by all
// tokens and a group's activations are read once per pass. Both run the same per-(block, token) arithmetic, so a (row, token) result never depends
// on the call shape.
#include <algorithm>
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
constexpr int64_t kRowsPerPass = 4;  // decoded rows that share one pass of the activations

struct alignas(64) Q6Block {
    __m512i q[4];      // codes 0..63 of values 64i .. 64i + 63
    __m512i s01, s23;  // int16 group scales matching packs(d0, d1) and packs(d2, d3)
    __m256i neg_sc32;  // the 16 group scales times -32, as int16 (for the code offset)
    float d;           // the block's scale
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

// ggml's block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), d (fp16).
BITNET_ALWAYS_INLINE void decode_block(const uint8_t* blk, Q6Block& out) {
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
        out.q[2 * h] = _mm512_ternarylogic_epi32(_mm512_and_si512(l, low4), _mm512_sllv_epi16(hb, shl), bits54, 0xf8);
        out.q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(l, 4), low4),
                                                     _mm512_srlv_epi16(hb, shr), bits54, 0xf8);
    }
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192)));
    out.neg_sc32 = _mm256_mullo_epi16(sc16, _mm256_set1_epi16(-32));  // |sc| <= 128: fits int16
    const __m512i sc = _mm512_castsi256_si512(sc16);
    out.s01 = _mm512_permutexvar_epi16(_mm512_load_si512(kQ6Patterns.p01), sc);
    out.s23 = _mm512_permutexvar_epi16(_mm512_load_si512(kQ6Patterns.p23), sc);
    out.d = _cvtsh_ss(load_u16(blk + 208));
}

// A token's Q8_K block repacked for the many-token path: the values start on a cache line, so
// every 64-byte load reads one line (in BlockQ8_K they start 4 bytes in and each load splits).
struct alignas(64) AlignedQ8Block {
    int8_t qs[256];
    int16_t bsums[16];
    float d;
};

// acc += (integer dot of block w with the token's block a) * d * d_a. A is BlockQ8_K or
// AlignedQ8Block: the same values, the same operations.
template <class A>
BITNET_ALWAYS_INLINE __m512 block_dot(const Q6Block& w, const A& a, __m512 acc) {
    const __m512i zero = _mm512_setzero_si512();
    __m512i d[4];
    BITNET_UNROLL
    for (int i = 0; i < 4; ++i) d[i] = _mm512_dpbusd_epi32(zero, w.q[i], _mm512_loadu_si512(a.qs + 64 * i));
    const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums));
    __m512i s = _mm512_zextsi256_si512(_mm256_madd_epi16(w.neg_sc32, bsums));
    s = _mm512_dpwssd_epi32(s, _mm512_packs_epi32(d[0], d[1]), w.s01);
    s = _mm512_dpwssd_epi32(s, _mm512_packs_epi32(d[2], d[3]), w.s23);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(w.d * a.d), acc);
}

// One token: each block is decoded in registers and used at once.
void row_one_token(const uint8_t* row, int64_t n_blocks, const BlockQ8_K* a, float* out) {
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < n_blocks; ++b) {
        Q6Block w;
        decode_block(row + 210 * b, w);
        acc = block_dot(w, a[b], acc);
    }
    *out = _mm512_reduce_add_ps(acc);
}

// T tokens over all blocks of a decoded row; acts[t * n_blocks + b] is token t's block b and
// out[t * out_stride] receives token t's result.
// `ahead` (a weight row to be decoded later, or null) is prefetched a few lines per block: issued
// all at once, a row's prefetches would stall on the full miss buffers.
template <int T>
void row_tokens(const Q6Block* blocks, int64_t n_blocks, const AlignedQ8Block* acts, float* out, size_t out_stride,
                const uint8_t* ahead) {
    __m512 acc[T];
    BITNET_UNROLL
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < n_blocks; ++b) {
        if (ahead != nullptr) prefetch_lines(ahead + 210 * b, 210);
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) acc[t] = block_dot(blocks[b], acts[t * n_blocks + b], acc[t]);
    }
    BITNET_UNROLL
    for (int t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]);
}

using RowTokensFn = void (*)(const Q6Block*, int64_t, const AlignedQ8Block*, float*, size_t, const uint8_t*);
template <int... T>
constexpr auto make_row_tokens(std::integer_sequence<int, T...>) {
    return std::array<RowTokensFn, sizeof...(T)>{&row_tokens<T + 1>...};
}
constexpr auto kRowTokens = make_row_tokens(std::make_integer_sequence<int, kTokenGroup>{});

// Many tokens: the activations are repacked once per call, then kRowsPerPass rows at a time are
// decoded into an L1 scratch and every token group passes over them, so a group's activations
// are read from L1 once per pass rather than once per row.
void many_tokens(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const uint8_t* acts, size_t act_stride,
                 int64_t n_tokens, float* out, size_t out_stride) {
    const int64_t n_blocks = w.cols / 256;
    thread_local AlignedBuffer<AlignedQ8Block> act_copy;  // per thread, grown once
    thread_local AlignedBuffer<Q6Block> rows;
    const auto n_act = static_cast<size_t>(n_tokens * n_blocks);
    if (act_copy.size() < n_act) act_copy.reset(n_act);
    if (rows.size() < static_cast<size_t>(kRowsPerPass * n_blocks)) rows.reset(static_cast<size_t>(kRowsPerPass * n_blocks));
    for (int64_t t = 0; t < n_tokens; ++t) {
        const auto* src = reinterpret_cast<const BlockQ8_K*>(acts + static_cast<size_t>(t) * act_stride);
        for (int64_t b = 0; b < n_blocks; ++b) {
            AlignedQ8Block& dst = act_copy[static_cast<size_t>(t * n_blocks + b)];
            __builtin_memcpy(dst.qs, src[b].qs, sizeof dst.qs);
            __builtin_memcpy(dst.bsums, src[b].bsums, sizeof dst.bsums);
            dst.d = src[b].d;
        }
    }
    for (int64_t r0 = row_begin; r0 < row_end; r0 += kRowsPerPass) {
        const int64_t nr = std::min<int64_t>(kRowsPerPass, row_end - r0);
        for (int64_t i = 0; i < nr; ++i) {
            const uint8_t* src = w.data + static_cast<size_t>(r0 + i) * w.row_stride;
            for (int64_t b = 0; b < n_blocks; ++b) decode_block(src + 210 * b, rows[static_cast<size_t>(i * n_blocks + b)]);
        }
        for (int64_t t = 0; t < n_tokens; t += kTokenGroup) {
            const int nt = static_cast<int>(std::min<int64_t>(kTokenGroup, n_tokens - t));
            for (int64_t i = 0; i < nr; ++i) {
                // The first token group fetches the next pass's rows.
                const uint8_t* ahead =
                    t == 0 ? w.data + static_cast<size_t>(r0 + kRowsPerPass + i) * w.row_stride : nullptr;
                kRowTokens[static_cast<size_t>(nt - 1)](rows.data() + i * n_blocks, n_blocks,
                                                      act_copy.data() + t * n_blocks,
                                                      out + static_cast<size_t>(t) * out_stride + static_cast<size_t>(r0 + i),
                                                      out_stride, ahead);
            }
        }
    }
}

}  // namespace

void q6_k_matmul(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const void* acts, size_t act_stride,
                 int64_t n_tokens, float* out, size_t out_stride) {
    if (row_begin >= row_end || n_tokens <= 0) return;
    const int64_t n_blocks = w.cols / 256;
    const auto* a_bytes = static_cast<const uint8_t*>(acts);
    if (n_tokens == 1) {
        for (int64_t r = row_begin; r < row_end; ++r) {
            const uint8_t* src = w.data + static_cast<size_t>(r) * w.row_stride;
            prefetch_lines(src + kStreamPrefetchBytes, w.row_stride);
            row_one_token(src, n_blocks, reinterpret_cast<const BlockQ8_K*>(a_bytes), out + r);
        }
        return;
    }
    many_tokens(w, row_begin, row_end, a_bytes, act_stride, n_tokens, out, out_stride);
}

}  // namespace bitnet::avx512
