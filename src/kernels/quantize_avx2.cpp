// AVX2 activation quantizers, bit-identical to the scalar reference (see quantize_avx512.cpp).
#include <cstring>

#include "kernels/avx2_util.hpp"
#include "kernels/variants.hpp"


namespace bitnet::avx2 {

namespace {

float max_abs(const float* x, int64_t n) {
    __m256 m0 = _mm256_setzero_ps(), m1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm256_max_ps(m0, abs_ps(_mm256_loadu_ps(x + i)));
        m1 = _mm256_max_ps(m1, abs_ps(_mm256_loadu_ps(x + i + 8)));
    }
    for (; i < n; i += 8) m0 = _mm256_max_ps(m0, abs_ps(_mm256_maskload_ps(x + i, first_lanes8(n - i))));
    return hmax_ps(_mm256_max_ps(m0, m1));
}

// 8 floats -> 8 clamped int32 (round half to even, the MXCSR default); masked tail loads read 0.
inline __m256i quantize8(const float* x, int64_t n, __m256 s) {
    const __m256 v = n >= 8 ? _mm256_loadu_ps(x) : _mm256_maskload_ps(x, first_lanes8(n));
    const __m256i i = _mm256_cvtps_epi32(_mm256_mul_ps(v, s));
    return _mm256_max_epi32(_mm256_min_epi32(i, _mm256_set1_epi32(127)), _mm256_set1_epi32(-128));
}

// 32 int32 in four vectors -> 32 int8 in order (the packs work per 128-bit lane; a final dword
// permutation restores the order).
inline __m256i pack32(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    return _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Quantizes n <= 32 floats to q (writes exactly n bytes); adds the values to `sum`.
inline void quantize32(const float* x, int64_t n, __m256 s, int8_t* q, __m256i& sum) {
    const __m256i a = quantize8(x, n, s), b = quantize8(x + 8, n - 8, s);
    const __m256i c = quantize8(x + 16, n - 16, s), d = quantize8(x + 24, n - 24, s);
    sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d)));
    const __m256i packed = pack32(a, b, c, d);
    if (n >= 32) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), packed);
    } else {
        alignas(32) int8_t tmp[32];
        _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), packed);
        std::memcpy(q, tmp, static_cast<size_t>(n));
    }
}

}  // namespace

void quantize_acts(const float* x, int64_t k, WeightLayout layout, int8_t* q, ActScale* scale) {
    const float amax = max_abs(x, k);
    const float s = 127.0f / (amax > 1e-5f ? amax : 1e-5f);
    const __m256 vs = _mm256_set1_ps(s);
    __m256i sum = _mm256_setzero_si256();
    int64_t i = 0;
    if (layout == WeightLayout::bits2) {
        // x[256c + 128h + 32g + p] -> q[256c + 64g + 32h + p] (see layout.hpp).
        for (; i + 256 <= k; i += 256) {
            BITNET_UNROLL
            for (int h = 0; h < 2; ++h) {
                BITNET_UNROLL
                for (int g = 0; g < 4; ++g) quantize32(x + i + 128 * h + 32 * g, 32, vs, q + i + 64 * g + 32 * h, sum);
            }
        }
    }
    for (; i < k; i += 32) quantize32(x + i, k - i, vs, q + i, sum);
    const int64_t padded = layout_padded_k(layout, k);
    if (padded > k) std::memset(q + k, 0, static_cast<size_t>(padded - k));
    scale->s = s;
    scale->sum = hsum_epi32(sum);
}

void quantize_q8_0(const float* x, int64_t k, BlockQ8_0* out) {
    for (int64_t b = 0; b < k / 32; ++b) {
        const float* xb = x + 32 * b;
        __m256 m = _mm256_setzero_ps();
        BITNET_UNROLL
        for (int j = 0; j < 4; ++j) m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(xb + 8 * j)));
        const float amax = hmax_ps(m);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out[b].d = f32_to_f16_bits(d);
        // std::round (half away from zero), exactly: truncate, then step away from zero when the
        // dropped fraction (exact in float) is at least one half.
        const __m256 vid = _mm256_set1_ps(id);
        __m256i v[4];
        BITNET_UNROLL
        for (int j = 0; j < 4; ++j) {
            const __m256 p = _mm256_mul_ps(_mm256_loadu_ps(xb + 8 * j), vid);
            const __m256 t = _mm256_round_ps(p, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            const __m256 up = _mm256_cmp_ps(abs_ps(_mm256_sub_ps(p, t)), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
            const __m256 step =
                _mm256_and_ps(up, _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(p, _mm256_set1_ps(-0.0f))));
            v[j] = _mm256_cvttps_epi32(_mm256_add_ps(t, step));
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].qs), pack32(v[0], v[1], v[2], v[3]));
    }
}

void quantize_q8_k(const float* x, int64_t k, BlockQ8_K* out) {
    for (int64_t b = 0; b < k / 256; ++b) {
        const float* xb = x + 256 * b;
        BlockQ8_K& o = out[b];
        const float amax = max_abs(xb, 256);
        if (amax == 0.0f) {
            std::memset(&o, 0, sizeof(o));
            continue;
        }
        float max = 0.0f;  // the first element of largest magnitude, as the reference keeps it
        for (int i = 0; i < 256; i += 8) {
            const int hit =
                _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(xb + i)), _mm256_set1_ps(amax), _CMP_EQ_OQ));
            if (hit != 0) {
                max = xb[i + __builtin_ctz(static_cast<unsigned>(hit))];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m256 vs = _mm256_set1_ps(iscale);
        BITNET_UNROLL
        for (int j = 0; j < 8; ++j) {
            __m256i v[4];
            BITNET_UNROLL
            for (int u = 0; u < 4; ++u) {
                v[u] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xb + 32 * j + 8 * u), vs)),
                                        _mm256_set1_epi32(127));
            }
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(o.qs + 32 * j), pack32(v[0], v[1], v[2], v[3]));
            o.bsums[2 * j] = static_cast<int16_t>(hsum_epi32(_mm256_add_epi32(v[0], v[1])));
            o.bsums[2 * j + 1] = static_cast<int16_t>(hsum_epi32(_mm256_add_epi32(v[2], v[3])));
        }
        o.d = 1.0f / iscale;
    }
}

}  // namespace bitnet::avx2
