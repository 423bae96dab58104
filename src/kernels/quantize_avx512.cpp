// AVX-512 activation quantizers, bit-identical to the scalar reference: the same float products,
// round-half-even through vcvtps2dq (MXCSR default), saturation equal to the reference clamp.
#include "kernels/x86_intrin.hpp"

#include <cstring>

#include "kernels/avx512_util.hpp"
#include "kernels/variants.hpp"


namespace bitnet::avx512 {

namespace {

inline __m512 abs_ps(__m512 x) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

float max_abs(const float* x, int64_t n) {
    __m512 m0 = _mm512_setzero_ps(), m1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        m0 = _mm512_max_ps(m0, abs_ps(_mm512_loadu_ps(x + i)));
        m1 = _mm512_max_ps(m1, abs_ps(_mm512_loadu_ps(x + i + 16)));
    }
    for (; i < n; i += 16) m0 = _mm512_max_ps(m0, abs_ps(_mm512_maskz_loadu_ps(first_lanes16(n - i), x + i)));
    return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}

// Quantizes n <= 16 floats at x to int8 at q; adds the quantized values to `sum`.
inline void quantize16(const float* x, int64_t n, __m512 s, int8_t* q, __m512i& sum) {
    const __mmask16 m = first_lanes16(n);
    const __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x), s));
    const __m512i c = _mm512_max_epi32(_mm512_min_epi32(v, _mm512_set1_epi32(127)), _mm512_set1_epi32(-128));
    sum = _mm512_add_epi32(sum, c);
    _mm512_mask_cvtepi32_storeu_epi8(q, m, c);
}

}  // namespace

void quantize_acts(const float* x, int64_t k, WeightLayout layout, int8_t* q, ActScale* scale) {
    const float amax = max_abs(x, k);
    const float s = 127.0f / (amax > 1e-5f ? amax : 1e-5f);
    const __m512 vs = _mm512_set1_ps(s);
    __m512i sum = _mm512_setzero_si512();
    int64_t i = 0;
    if (layout == WeightLayout::bits2) {
        // Full 256-weight chunks are stored permuted: x[256c + 128h + 32g + p] goes to
        // q[256c + 64g + 32h + p], so that bit plane g of a weight chunk meets 64 contiguous bytes.
        for (; i + 256 <= k; i += 256) {
            BITNET_UNROLL
            for (int h = 0; h < 2; ++h) {
                BITNET_UNROLL
                for (int g = 0; g < 4; ++g) {
                    const float* src = x + i + 128 * h + 32 * g;
                    int8_t* dst = q + i + 64 * g + 32 * h;
                    quantize16(src, 16, vs, dst, sum);
                    quantize16(src + 16, 16, vs, dst + 16, sum);
                }
            }
        }
    }
    for (; i < k; i += 16) quantize16(x + i, k - i < 16 ? k - i : 16, vs, q + i, sum);
    const int64_t padded = layout_padded_k(layout, k);
    if (padded > k) std::memset(q + k, 0, static_cast<size_t>(padded - k));
    scale->s = s;
    scale->sum = _mm512_reduce_add_epi32(sum);
}

void quantize_q8_0(const float* x, int64_t k, BlockQ8_0* out) {
    const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff);
    for (int64_t b = 0; b < k / 32; ++b) {
        const __m512 x0 = _mm512_loadu_ps(x + 32 * b), x1 = _mm512_loadu_ps(x + 32 * b + 16);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(abs_ps(x0), abs_ps(x1)));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out[b].d = f32_to_f16_bits(d);
        // std::round (half away from zero), exactly: truncate, then step away from zero when the
        // dropped fraction (exact in float) is at least one half.
        const __m512 vid = _mm512_set1_ps(id);
        int8_t* qs = out[b].qs;
        BITNET_UNROLL
        for (int h = 0; h < 2; ++h) {
            const __m512 v = _mm512_mul_ps(h == 0 ? x0 : x1, vid);
            const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            const __m512 frac = _mm512_sub_ps(v, t);
            const __mmask16 up =
                _mm512_cmp_ps_mask(_mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(frac), abs_mask)),
                                   _mm512_set1_ps(0.5f), _CMP_GE_OQ);
            const __m512 one = _mm512_or_ps(_mm512_set1_ps(1.0f), _mm512_and_ps(v, _mm512_set1_ps(-0.0f)));
            const __m512 r = _mm512_mask_add_ps(t, up, t, one);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + 16 * h), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(r)));
        }
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
        // The reference keeps the first element of largest magnitude (strict > while scanning).
        float max = 0.0f;
        for (int i = 0; i < 256; i += 16) {
            const __mmask16 hit = _mm512_cmp_ps_mask(abs_ps(_mm512_loadu_ps(xb + i)), _mm512_set1_ps(amax), _CMP_EQ_OQ);
            if (hit != 0) {
                max = xb[i + __builtin_ctz(hit)];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m512 vs = _mm512_set1_ps(iscale);
        BITNET_UNROLL
        for (int j = 0; j < 16; ++j) {
            const __m512i v = _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xb + 16 * j), vs)),
                                               _mm512_set1_epi32(127));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o.qs + 16 * j), _mm512_cvtsepi32_epi8(v));
            o.bsums[j] = static_cast<int16_t>(_mm512_reduce_add_epi32(v));
        }
        o.d = 1.0f / iscale;
    }
}

}  // namespace bitnet::avx512
