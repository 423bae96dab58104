// AVX-512 attention for one GQA group: up to four query heads share every K and V row, so each
// row is read from memory (and converted from f16 with vcvtph2ps) once for the whole group.
//
// Scores: 16 positions at a time, K rows are widened into an L1 buffer, each head accumulates 16
// per-position vectors which one transposing reduction (hsum16_ps) turns into 16 scores.
// Output: for 64 output dimensions at a time, 4 heads x 4 vectors of accumulators stay in
// registers while the V rows stream past.
#include <cstring>

#include "kernels/avx512_util.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/variants.hpp"
#include "kernels/x86_intrin.hpp"


namespace bitnet::avx512 {

namespace {

constexpr int kMaxGroup = 4;      // query heads per pass
constexpr int kMaxHeadDim = 256;  // larger heads use the reference

BITNET_ALWAYS_INLINE __m512 load_kv(const void* base, bool f16, size_t idx) {
    if (f16)
        return _mm512_cvtph_ps(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(base) + idx)));
    return _mm512_loadu_ps(static_cast<const float*>(base) + idx);
}

BITNET_ALWAYS_INLINE void prefetch_row(const void* base, bool f16, size_t idx, int n_elems) {
    const size_t elem = f16 ? 2 : 4;
    prefetch_lines(static_cast<const uint8_t*>(base) + idx * elem, static_cast<size_t>(n_elems) * elem);
}

// scores[g * n_pos + p] = scale * dot(q_g, k_p) for the group's heads.
void scores(const float* q, int n_q, int head_dim, const void* k, bool f16, size_t kv_stride, int64_t n_pos,
            float scale, float* s) {
    const int nv = head_dim / 16;
    alignas(64) float kbuf[16 * kMaxHeadDim];
    const __m512 vscale = _mm512_set1_ps(scale);
    for (int64_t p0 = 0; p0 < n_pos; p0 += 16) {
        const int np = static_cast<int>(n_pos - p0 < 16 ? n_pos - p0 : 16);
        BITNET_UNROLL
        for (int i = 0; i < 16; ++i) {
            float* dst = kbuf + i * head_dim;
            if (p0 + i + kKvPrefetchPositions < n_pos) {
                prefetch_row(k, f16, static_cast<size_t>(p0 + i + kKvPrefetchPositions) * kv_stride, head_dim);
            }
            if (i < np) {
                for (int c = 0; c < nv; ++c)
                    _mm512_store_ps(dst + 16 * c, load_kv(k, f16, static_cast<size_t>(p0 + i) * kv_stride + 16 * c));
            } else {
                std::memset(dst, 0, static_cast<size_t>(head_dim) * sizeof(float));
            }
        }
        for (int g = 0; g < n_q; ++g) {
            __m512 acc[16];
            BITNET_UNROLL
            for (auto& a : acc) a = _mm512_setzero_ps();
            const float* qg = q + g * head_dim;
            for (int c = 0; c < nv; ++c) {
                const __m512 qv = _mm512_loadu_ps(qg + 16 * c);
                BITNET_UNROLL
                for (int i = 0; i < 16; ++i)
                    acc[i] = _mm512_fmadd_ps(qv, _mm512_load_ps(kbuf + i * head_dim + 16 * c), acc[i]);
            }
            _mm512_mask_storeu_ps(s + g * n_pos + p0, first_lanes16(np), _mm512_mul_ps(hsum16_ps(acc), vscale));
        }
    }
}

// out[g * head_dim + d0 + 16 j] for j < NV (NV vectors of 16 dimensions starting at d0).
template <int NV>
void weighted_values(const float* s, int n_q, int head_dim, int d0, const void* v, bool f16, size_t kv_stride,
                     int64_t n_pos, float* out) {
    __m512 acc[kMaxGroup][NV];
    BITNET_UNROLL
    for (auto& row : acc) {
        BITNET_UNROLL
        for (auto& a : row) a = _mm512_setzero_ps();
    }
    for (int64_t p = 0; p < n_pos; ++p) {
        if (p + kKvPrefetchPositions < n_pos) {
            prefetch_row(v, f16, static_cast<size_t>(p + kKvPrefetchPositions) * kv_stride + static_cast<size_t>(d0),
                         16 * NV);
        }
        __m512 vv[NV];
        BITNET_UNROLL
        for (int j = 0; j < NV; ++j)
            vv[j] = load_kv(v, f16, static_cast<size_t>(p) * kv_stride + static_cast<size_t>(d0 + 16 * j));
        BITNET_UNROLL
        for (int g = 0; g < kMaxGroup; ++g) {
            if (g >= n_q) break;
            const __m512 w = _mm512_set1_ps(s[g * n_pos + p]);
            BITNET_UNROLL
            for (int j = 0; j < NV; ++j) acc[g][j] = _mm512_fmadd_ps(w, vv[j], acc[g][j]);
        }
    }
    for (int g = 0; g < n_q; ++g) {
        BITNET_UNROLL
        for (int j = 0; j < NV; ++j) _mm512_storeu_ps(out + g * head_dim + d0 + 16 * j, acc[g][j]);
    }
}

}  // namespace

void attention(const float* q, int n_q, int head_dim, const void* k, const void* v, bool kv_f16, size_t kv_stride,
               int64_t n_pos, float scale, float* out, float* scratch) {
    if (head_dim % 16 != 0 || head_dim > kMaxHeadDim || n_pos <= 0) {
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
        for (; d0 + 64 <= head_dim; d0 += 64) weighted_values<4>(s, g, head_dim, d0, v, kv_f16, kv_stride, n_pos, o);
        switch ((head_dim - d0) / 16) {
            case 3: weighted_values<3>(s, g, head_dim, d0, v, kv_f16, kv_stride, n_pos, o); break;
            case 2: weighted_values<2>(s, g, head_dim, d0, v, kv_f16, kv_stride, n_pos, o); break;
            case 1: weighted_values<1>(s, g, head_dim, d0, v, kv_f16, kv_stride, n_pos, o); break;
            default: break;
        }
    }
}

}  // namespace bitnet::avx512
