#include "train/attention.hpp"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.hpp"
#include "train/gemm.hpp"

namespace bitnet {

TrainAttention::TrainAttention(const TrainShape& shape, int n_threads)
    : s_(shape), scratch_(static_cast<size_t>(std::max(n_threads, 1))) {}

namespace {

// Row i of the causal scores: scale, softmax over 0..i, zero after.
void causal_softmax(float* s, int64_t L, float scale) {
    for (int64_t i = 0; i < L; ++i) {
        float* row = s + i * L;
        float mx = -INFINITY;
        for (int64_t j = 0; j <= i; ++j) {
            row[j] *= scale;
            mx = std::max(mx, row[j]);
        }
        float sum = 0.0f;
        for (int64_t j = 0; j <= i; ++j) {
            row[j] = std::exp(row[j] - mx);
            sum += row[j];
        }
        const float inv = 1.0f / sum;
        for (int64_t j = 0; j <= i; ++j) row[j] *= inv;
        std::fill(row + i + 1, row + L, 0.0f);
    }
}

}  // namespace

void TrainAttention::forward(ThreadPool& pool, const float* q, const float* k, const float* v, int64_t n_seq,
                             int64_t L, float* probs, float* out) {
    const int64_t hd = s_.head_dim(), dq = s_.q_dim(), dkv = s_.kv_dim(), H = s_.n_head, G = s_.group();
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    pool.parallel_for(static_cast<size_t>(n_seq * H), 1, [&](size_t ub, size_t ue, int thread) {
        Scratch& sc = scratch_[static_cast<size_t>(thread)];
        for (size_t u = ub; u < ue; ++u) {
            const int64_t b = static_cast<int64_t>(u) / H, h = static_cast<int64_t>(u) % H, g = h / G;
            const float* qh = q + b * L * dq + h * hd;
            const float* kg = k + b * L * dkv + g * hd;
            const float* vg = v + b * L * dkv + g * hd;
            float* p = probs + static_cast<int64_t>(u) * L * L;
            gemm(nullptr, L, L, hd, rows_of(qh, dq), transposed(kg, dkv), p, L, false, sc.pack);
            causal_softmax(p, L, scale);
            gemm(nullptr, L, hd, L, rows_of(p, L), rows_of(vg, dkv), out + b * L * dq + h * hd, dq, false, sc.pack);
        }
    });
}

void TrainAttention::backward(ThreadPool& pool, const float* q, const float* k, const float* v, const float* probs,
                              const float* dout, int64_t n_seq, int64_t L, float* dq, float* dk, float* dv) {
    const int64_t hd = s_.head_dim(), dqd = s_.q_dim(), dkv = s_.kv_dim(), H = s_.n_head, G = s_.group();
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    pool.parallel_for(static_cast<size_t>(n_seq * s_.n_head_kv), 1, [&](size_t ub, size_t ue, int thread) {
        Scratch& sc = scratch_[static_cast<size_t>(thread)];
        sc.dp.resize(static_cast<size_t>(L * L));
        float* ds = sc.dp.data();
        for (size_t u = ub; u < ue; ++u) {
            const int64_t b = static_cast<int64_t>(u) / s_.n_head_kv, g = static_cast<int64_t>(u) % s_.n_head_kv;
            const float* kg = k + b * L * dkv + g * hd;
            const float* vg = v + b * L * dkv + g * hd;
            float* dkg = dk + b * L * dkv + g * hd;
            float* dvg = dv + b * L * dkv + g * hd;
            for (int64_t h = g * G; h < (g + 1) * G; ++h) {
                const float* qh = q + b * L * dqd + h * hd;
                const float* doh = dout + b * L * dqd + h * hd;
                const float* p = probs + (b * H + h) * L * L;
                const bool first = h == g * G;
                gemm(nullptr, L, L, hd, rows_of(doh, dqd), transposed(vg, dkv), ds, L, false, sc.pack);
                gemm(nullptr, L, hd, L, transposed(p, L), rows_of(doh, dqd), dvg, dkv, !first, sc.pack);
                for (int64_t i = 0; i < L; ++i) {
                    const float* pr = p + i * L;
                    float* dr = ds + i * L;
                    float dot = 0.0f;
                    for (int64_t j = 0; j <= i; ++j) dot += pr[j] * dr[j];
                    for (int64_t j = 0; j <= i; ++j) dr[j] = pr[j] * (dr[j] - dot) * scale;
                    std::fill(dr + i + 1, dr + L, 0.0f);
                }
                gemm(nullptr, L, hd, L, rows_of(ds, L), rows_of(kg, dkv), dq + b * L * dqd + h * hd, dqd, false, sc.pack);
                gemm(nullptr, L, hd, L, transposed(ds, L), rows_of(qh, dqd), dkg, dkv, !first, sc.pack);
            }
        }
    });
}

}  // namespace bitnet
