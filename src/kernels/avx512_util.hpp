#pragma once
// Small AVX-512 helpers shared by the *_avx512.cpp kernels. Include only from files compiled
// with the AVX-512 flags; everything here has internal linkage so that no AVX-512 code can leak
// into a scalar translation unit through the linker picking one copy of an inline function.
#include "kernels/x86_intrin.hpp"

#include <cstdint>

#define BITNET_ALWAYS_INLINE inline __attribute__((always_inline))

namespace bitnet::avx512 {

// Scalar f32 -> f16 bits with round to nearest even (F16C). Written out because clang's
// _cvtss_sh macro expands to a C99 compound literal.
static inline uint16_t f32_to_f16_bits(float f) {
    return static_cast<uint16_t>(_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT), 0));
}

// Folds four vectors of 16 int32 into one xmm {sum a, sum b, sum c, sum d}. The unpack/add
// pairs transpose while adding, so the cost is shared by the four reductions.
static inline __m512i hsum4_lanes(__m512i a, __m512i b, __m512i c, __m512i d) {
    const __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    const __m512i cd = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
    // Each 128-bit lane now holds one partial sum of a, b, c, d (in that order).
    return _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
}

static inline __m128i fold_lanes_128(__m512i x) {
    const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(x), _mm512_extracti64x4_epi64(x, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

static inline __m128i hsum4_epi32(__m512i a, __m512i b, __m512i c, __m512i d) {
    return fold_lanes_128(hsum4_lanes(a, b, c, d));
}

// Sixteen reductions at once: lane i = sum of a[i].
static inline __m512i hsum16_epi32(const __m512i* a) {
    const __m512i x0 = hsum4_lanes(a[0], a[1], a[2], a[3]);
    const __m512i x1 = hsum4_lanes(a[4], a[5], a[6], a[7]);
    const __m512i x2 = hsum4_lanes(a[8], a[9], a[10], a[11]);
    const __m512i x3 = hsum4_lanes(a[12], a[13], a[14], a[15]);
    // Each x holds four 128-bit partial groups; fold them pairwise so lane group g ends in x_g's slot.
    const __m512i y01 = _mm512_add_epi32(_mm512_shuffle_i64x2(x0, x1, 0x44), _mm512_shuffle_i64x2(x0, x1, 0xee));
    const __m512i y23 = _mm512_add_epi32(_mm512_shuffle_i64x2(x2, x3, 0x44), _mm512_shuffle_i64x2(x2, x3, 0xee));
    return _mm512_add_epi32(_mm512_shuffle_i64x2(y01, y23, 0x88), _mm512_shuffle_i64x2(y01, y23, 0xdd));
}

static inline int32_t hsum_epi32(__m512i x) { return _mm512_reduce_add_epi32(x); }

static inline float hsum_ps(__m512 x) {
    const __m256 h =
        _mm256_add_ps(_mm512_castps512_ps256(x), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Mask of the first n (0..64) byte lanes.
static inline __mmask64 first_bytes(int64_t n) { return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1; }
static inline __mmask16 first_lanes16(int64_t n) {
    return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1);
}

// Four float reductions per 128-bit lane, as hsum4_lanes for int32.
static inline __m512 hsum4_lanes_ps(__m512 a, __m512 b, __m512 c, __m512 d) {
    const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
    return _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(ab), _mm512_castps_pd(cd))),
                         _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(ab), _mm512_castps_pd(cd))));
}

// Sixteen reductions at once: lane i = sum of v[i].
static inline __m512 hsum16_ps(const __m512* v) {
    const __m512 x0 = hsum4_lanes_ps(v[0], v[1], v[2], v[3]);
    const __m512 x1 = hsum4_lanes_ps(v[4], v[5], v[6], v[7]);
    const __m512 x2 = hsum4_lanes_ps(v[8], v[9], v[10], v[11]);
    const __m512 x3 = hsum4_lanes_ps(v[12], v[13], v[14], v[15]);
    const __m512 y01 = _mm512_add_ps(_mm512_shuffle_f32x4(x0, x1, 0x44), _mm512_shuffle_f32x4(x0, x1, 0xee));
    const __m512 y23 = _mm512_add_ps(_mm512_shuffle_f32x4(x2, x3, 0x44), _mm512_shuffle_f32x4(x2, x3, 0xee));
    return _mm512_add_ps(_mm512_shuffle_f32x4(y01, y23, 0x88), _mm512_shuffle_f32x4(y01, y23, 0xdd));
}

// e^x for x <= 0 (softmax arguments), about 1 ulp: x = n ln2 + r with |r| <= ln2/2, a degree-7
// polynomial for e^r, and vscalefps for 2^n, which also flushes very negative x (and -inf) to 0.
static inline __m512 exp_neg_ps(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);  // ln2 split in a short head...
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);      // ...and the rest
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

// dots[r * T + t] = horizontal sum of acc[r][t], four reductions at a time.
template <int R, int T>
static inline void reduce_tile(const __m512i (&acc)[R][T], int32_t* dots) {
    if constexpr (R * T == 16) {
        _mm512_storeu_si512(dots, hsum16_epi32(&acc[0][0]));
        return;
    }
    __m512i flat[R * T + 3];
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) flat[r * T + t] = acc[r][t];
    }
    BITNET_UNROLL
    for (int i = R * T; i < R * T + 3; ++i) flat[i] = _mm512_setzero_si512();
    BITNET_UNROLL
    for (int i = 0; i < R * T; i += 4) {
        alignas(16) int32_t s[4];
        _mm_store_si128(reinterpret_cast<__m128i*>(s), hsum4_epi32(flat[i], flat[i + 1], flat[i + 2], flat[i + 3]));
        for (int j = 0; j < 4 && i + j < R * T; ++j) dots[i + j] = s[j];
    }
}

}  // namespace bitnet::avx512
