// AVX2 f32 vector operations: RMS norm, softmax, NeoX RoPE (sums the reference keeps in double
// stay in double).
#include <cmath>

#include "kernels/avx2_util.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/variants.hpp"


namespace bitnet::avx2 {

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* y) {
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v)),
                      hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
        s0 = _mm256_fmadd_pd(lo, lo, s0);
        s1 = _mm256_fmadd_pd(hi, hi, s1);
    }
    double ss = hsum_pd(_mm256_add_pd(s0, s1));
    for (int64_t j = i; j < n; ++j) ss += static_cast<double>(x[j]) * x[j];
    const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
    const __m256 vinv = _mm256_set1_ps(inv);
    for (i = 0; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vinv), _mm256_loadu_ps(w + i)));
    }
    for (; i < n; ++i) y[i] = x[i] * inv * w[i];
}

void softmax(float* x, int64_t n) {
    if (n <= 0) return;
    __m256 mx = _mm256_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(x + i));
    float max = hmax_ps(mx);
    for (int64_t j = i; j < n; ++j) max = x[j] > max ? x[j] : max;
    const __m256 vmax = _mm256_set1_ps(max);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    for (i = 0; i < n; i += 8) {
        const __m256i m = first_lanes8(n - i);
        const __m256 e =
            _mm256_and_ps(_mm256_castsi256_ps(m), exp_neg_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), vmax)));
        _mm256_maskstore_ps(x + i, m, e);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / hsum_pd(_mm256_add_pd(s0, s1))));
    for (i = 0; i < n; i += 8) {
        const __m256i m = first_lanes8(n - i);
        _mm256_maskstore_ps(x + i, m, _mm256_mul_ps(_mm256_maskload_ps(x + i, m), inv));
    }
}

void rope_neox(float* x, int n_heads, int head_dim, const float* cos, const float* sin) {
    const int half = head_dim / 2;
    for (int h = 0; h < n_heads; ++h) {
        float* v = x + h * head_dim;
        for (int i = 0; i < half; i += 8) {
            const __m256i m = first_lanes8(half - i);
            const __m256 a = _mm256_maskload_ps(v + i, m), b = _mm256_maskload_ps(v + half + i, m);
            const __m256 c = _mm256_maskload_ps(cos + i, m), s = _mm256_maskload_ps(sin + i, m);
            _mm256_maskstore_ps(v + i, m, _mm256_sub_ps(_mm256_mul_ps(a, c), _mm256_mul_ps(b, s)));
            _mm256_maskstore_ps(v + half + i, m, _mm256_add_ps(_mm256_mul_ps(a, s), _mm256_mul_ps(b, c)));
        }
    }
}

// The mask keeps g where g > 0 (so NaN and -0 become +0, as in the reference).
void relu_sqr_mul(float* g, const float* u, int64_t n) {
    const __m256 zero = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(g + i);
        const __m256 a = _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ), v);
        _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_mul_ps(a, a), _mm256_loadu_ps(u + i)));
    }
    scalar::relu_sqr_mul(g + i, u + i, n - i);
}

void f32_to_f16(const float* x, int64_t n, uint16_t* out) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
    }
    scalar::f32_to_f16(x + i, n - i, out + i);
}

}  // namespace bitnet::avx2
