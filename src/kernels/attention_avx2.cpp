// AVX2 attention for one GQA group (see attention_avx512.cpp): K rows are widened once into an L1
// buffer of 8 positions and scored against every head of the group; V rows stream past 4 heads x
// 2 vectors of output accumulators per 16 output dimensions.
#include <cstring>

#include "kernels/avx2_util.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/variants.hpp"


namespace bitnet::avx2 {

namespace {

constexpr int kMaxGroup = 4;
constexpr int kMaxHeadDim = 256;

BITNET_ALWAYS_INLINE __m256 load_kv(const void* base, bool f16, size_t idx) {
    if (f16)
        return _mm256_cvtph_ps(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + idx)));
    return _mm256_loadu_ps(static_cast<const float*>(base) + idx);
}

// Eight reductions at once: lane i = sum of v[i].
BITNET_ALWAYS_INLINE __m256 hsum8_ps(const __m256* v) {
    const __m256 a = _mm256_hadd_ps(v[0], v[1]), b = _mm256_hadd_ps(v[2], v[3]);
    const __m256 c = _mm256_hadd_ps(v[4], v[5]), d = _mm256_hadd_ps(v[6], v[7]);
    const __m256 ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d);
    // ab = [0 1 2 3 | 0 1 2 3] partials (low / high 128-bit halves), likewise cd for 4..7.
    return _mm256_add_ps(_mm256_permute2f128_ps(ab, cd, 0x20), _mm256_permute2f128_ps(ab, cd, 0x31));
}

void scores(const float* q, int n_q, int head_dim, const void* k, bool f16, size_t kv_stride, int64_t n_pos,
            float scale, float* s) {
    const int nv = head_dim / 8;
    alignas(32) float kbuf[8 * kMaxHeadDim];
    for (int64_t p0 = 0; p0 < n_pos; p0 += 8) {
        const int np = static_cast<int>(n_pos - p0 < 8 ? n_pos - p0 : 8);
        BITNET_UNROLL
        for (int i = 0; i < 8; ++i) {
            float* dst = kbuf + i * head_dim;
            if (i < np) {
                for (int c = 0; c < nv; ++c)
                    _mm256_store_ps(dst + 8 * c, load_kv(k, f16, static_cast<size_t>(p0 + i) * kv_stride + 8 * c));
            } else {
                std::memset(dst, 0, static_cast<size_t>(head_dim) * sizeof(float));
            }
        }
        for (int g = 0; g < n_q; ++g) {
            __m256 acc[8];
            BITNET_UNROLL
            for (auto& a : acc) a = _mm256_setzero_ps();
            const float* qg = q + g * head_dim;
            for (int c = 0; c < nv; ++c) {
                const __m256 qv = _mm256_loadu_ps(qg + 8 * c);
                BITNET_UNROLL
                for (int i = 0; i < 8; ++i)
                    acc[i] = _mm256_fmadd_ps(qv, _mm256_load_ps(kbuf + i * head_dim + 8 * c), acc[i]);
            }
            _mm256_maskstore_ps(s + g * n_pos + p0, first_lanes8(np),
                                _mm256_mul_ps(hsum8_ps(acc), _mm256_set1_ps(scale)));
        }
    }
}

template <int NV>
void weighted_values(const float* s, int n_q, int head_dim, int d0, const void* v, bool f16, size_t kv_stride,
                     int64_t n_pos, float* out) {
    __m256 acc[kMaxGroup][NV];
    BITNET_UNROLL
    for (auto& row : acc) {
        BITNET_UNROLL
        for (auto& a : row) a = _mm256_setzero_ps();
    }
    for (int64_t p = 0; p < n_pos; ++p) {
        __m256 vv[NV];
        BITNET_UNROLL
        for (int j = 0; j < NV; ++j)
            vv[j] = load_kv(v, f16, static_cast<size_t>(p) * kv_stride + static_cast<size_t>(d0 + 8 * j));
        BITNET_UNROLL
        for (int g = 0; g < kMaxGroup; ++g) {
            if (g >= n_q) break;
            const __m256 wgt = _mm256_set1_ps(s[g * n_pos + p]);
            BITNET_UNROLL
            for (int j = 0; j < NV; ++j) acc[g][j] = _mm256_fmadd_ps(wgt, vv[j], acc[g][j]);
        }
    }
    for (int g = 0; g < n_q; ++g) {
        BITNET_UNROLL
        for (int j = 0; j < NV; ++j) _mm256_storeu_ps(out + g * head_dim + d0 + 8 * j, acc[g][j]);
    }
}

}  // namespace

void attention(const float* q, int n_q, int head_dim, const void* k, const void* v, bool kv_f16, size_t kv_stride,
               int64_t n_pos, float scale, float* out, float* scratch) {
    if (head_dim % 8 != 0 || head_dim > kMaxHeadDim || n_pos <= 0) {
        scalar::attention(q, n_q, head_dim, k, v, kv_f16, kv_stride, n_pos, scale, out, scratch);
        return;
    }
    for (int h0 = 0; h0 < n_q; h0 += kMaxGroup) {
        const int g = n_q - h0 < kMaxGroup ? n_q - h0 : kMaxGroup;
        float* s = scratch + static_cast<size_t>(h0) * static_cast<size_t>(n_pos);
        scores(q + h0 * head_dim, g, head_dim, k, kv_f16, kv_stride, n_pos, scale, s);
        for (int i = 0; i < g; ++i) softmax(s + i * n_pos, n_pos);
        float* o = out + h0 * head_dim;
        int d0 = 0;
        for (; d0 + 16 <= head_dim; d0 += 16) weighted_values<2>(s, g, head_dim, d0, v, kv_f16, kv_stride, n_pos, o);
        if (d0 < head_dim) weighted_values<1>(s, g, head_dim, d0, v, kv_f16, kv_stride, n_pos, o);
    }
}

}  // namespace bitnet::avx2
