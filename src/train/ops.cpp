#include "train/ops.hpp"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.hpp"
#include "quant/rounding.hpp"

namespace bitnet {

namespace {

constexpr size_t kColumnBlock = 64;

template <class F>
void for_rows(ThreadPool& pool, int64_t T, F&& body) {
    pool.parallel_for(static_cast<size_t>(T), 16, [&](size_t b, size_t e) {
        for (size_t t = b; t < e; ++t) body(static_cast<int64_t>(t));
    });
}

}  // namespace

void rmsnorm_forward(ThreadPool& pool, const float* x, const float* w, int64_t T, int64_t D, float eps, float* y,
                     float* rstd) {
    for_rows(pool, T, [&](int64_t t) {
        const float* xr = x + t * D;
        float* yr = y + t * D;
        double ss = 0.0;
        for (int64_t i = 0; i < D; ++i) ss += static_cast<double>(xr[i]) * xr[i];
        const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(D) + eps));
        rstd[t] = inv;
        for (int64_t i = 0; i < D; ++i) yr[i] = xr[i] * inv * w[i];
    });
}

void rmsnorm_backward(ThreadPool& pool, const float* dy, const float* x, const float* w, const float* rstd, int64_t T,
                      int64_t D, float* dx, bool accumulate_dx, float* dw) {
    // dx = r·(dx̂ − x̂·mean(dx̂ ⊙ x̂)) with x̂ = x·r and dx̂ = dy ⊙ w.
    for_rows(pool, T, [&](int64_t t) {
        const float* dyr = dy + t * D;
        const float* xr = x + t * D;
        float* dxr = dx + t * D;
        const float r = rstd[t];
        double dot = 0.0;
        for (int64_t i = 0; i < D; ++i) dot += static_cast<double>(dyr[i] * w[i]) * (xr[i] * r);
        const float mean = static_cast<float>(dot / static_cast<double>(D));
        for (int64_t i = 0; i < D; ++i) {
            const float g = r * (dyr[i] * w[i] - xr[i] * r * mean);
            dxr[i] = accumulate_dx ? dxr[i] + g : g;
        }
    });
    const size_t blocks = (static_cast<size_t>(D) + kColumnBlock - 1) / kColumnBlock;
    pool.parallel_for(blocks, 1, [&](size_t b, size_t e) {
        const int64_t i0 = static_cast<int64_t>(b * kColumnBlock);
        const int64_t i1 = std::min(D, static_cast<int64_t>(e * kColumnBlock));
        for (int64_t t = 0; t < T; ++t) {
            const float* dyr = dy + t * D;
            const float* xr = x + t * D;
            const float r = rstd[t];
            for (int64_t i = i0; i < i1; ++i) dw[i] += dyr[i] * xr[i] * r;
        }
    });
}

void act_quant(ThreadPool& pool, float* x, int64_t T, int64_t D) {
    for_rows(pool, T, [&](int64_t t) {
        float* r = x + t * D;
        float amax = 0.0f;
        for (int64_t i = 0; i < D; ++i) amax = std::max(amax, std::fabs(r[i]));
        const float s = 127.0f / std::max(amax, 1e-5f);
        // |x·s| <= 127 here, so the inline rounding is exact (NaN inputs never reach training).
        for (int64_t i = 0; i < D; ++i) r[i] = std::clamp(round_even_small(r[i] * s), -128.0f, 127.0f) / s;
    });
}

void weight_quant(const float* w, size_t n, float* out) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(w[i]));
    const float mean = n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
    const float s = 1.0f / std::max(mean, 1e-5f);
    const float alpha = 1.0f / s;
    // Clamped before rounding: round_even_small needs |v| < 2^22, and any |w·s| >= 1.5 gives ±1 either way.
    for (size_t i = 0; i < n; ++i) out[i] = std::clamp(round_even_small(std::clamp(w[i] * s, -2.0f, 2.0f)), -1.0f, 1.0f) * alpha;
}

void rope_tables(int64_t n_pos, int64_t head_dim, float theta, float* cos, float* sin) {
    const int64_t half = head_dim / 2;
    for (int64_t p = 0; p < n_pos; ++p) {
        for (int64_t i = 0; i < half; ++i) {
            const double inv_freq = std::pow(static_cast<double>(theta),
                                             -2.0 * static_cast<double>(i) / static_cast<double>(head_dim));
            cos[p * half + i] = static_cast<float>(std::cos(static_cast<double>(p) * inv_freq));
            sin[p * half + i] = static_cast<float>(std::sin(static_cast<double>(p) * inv_freq));
        }
    }
}

namespace {

void rope_rotate(ThreadPool& pool, float* x, int64_t T, int64_t seq_len, int64_t n_heads, int64_t head_dim,
                 const float* cos, const float* sin, float sign) {
    const int64_t half = head_dim / 2;
    for_rows(pool, T, [&](int64_t t) {
        const float* c = cos + (t % seq_len) * half;
        const float* s = sin + (t % seq_len) * half;
        for (int64_t h = 0; h < n_heads; ++h) {
            float* v = x + (t * n_heads + h) * head_dim;
            for (int64_t i = 0; i < half; ++i) {
                const float a = v[i], b = v[i + half], sn = sign * s[i];
                v[i] = a * c[i] - b * sn;
                v[i + half] = a * sn + b * c[i];
            }
        }
    });
}

}  // namespace

void rope_forward(ThreadPool& pool, float* x, int64_t T, int64_t seq_len, int64_t n_heads, int64_t head_dim,
                  const float* cos, const float* sin) {
    rope_rotate(pool, x, T, seq_len, n_heads, head_dim, cos, sin, 1.0f);
}

void rope_backward(ThreadPool& pool, float* dx, int64_t T, int64_t seq_len, int64_t n_heads, int64_t head_dim,
                   const float* cos, const float* sin) {
    // The rotation is orthogonal: its transpose is the rotation by the opposite angle.
    rope_rotate(pool, dx, T, seq_len, n_heads, head_dim, cos, sin, -1.0f);
}

void relu_sqr_gate_forward(ThreadPool& pool, const float* g, const float* u, size_t n, float* m) {
    pool.parallel_for(n, 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
            const float r = std::max(g[i], 0.0f);
            m[i] = r * r * u[i];
        }
    });
}

void relu_sqr_gate_backward(ThreadPool& pool, const float* dm, const float* g, const float* u, size_t n, float* dg,
                            float* du) {
    pool.parallel_for(n, 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
            const float r = std::max(g[i], 0.0f);
            dg[i] = dm[i] * u[i] * 2.0f * r;
            du[i] = dm[i] * r * r;
        }
    });
}

int64_t cross_entropy(ThreadPool& pool, float* logits, const int32_t* targets, int64_t T, int64_t V, float* row_loss,
                      bool want_grad) {
    int64_t n_scored = 0;
    for (int64_t t = 0; t < T; ++t) n_scored += targets[t] >= 0 ? 1 : 0;
    const float inv_n = n_scored > 0 ? 1.0f / static_cast<float>(n_scored) : 0.0f;
    for_rows(pool, T, [&](int64_t t) {
        float* z = logits + t * V;
        const int32_t y = targets[t];
        if (y < 0) {
            row_loss[t] = 0.0f;
            if (want_grad) std::fill(z, z + V, 0.0f);
            return;
        }
        float mx = z[0];
        for (int64_t i = 1; i < V; ++i) mx = std::max(mx, z[i]);
        // exp once, kept in place; the sum in double keeps the loss exact to float precision.
        double sum = 0.0;
        const float zy = z[y] - mx;
        for (int64_t i = 0; i < V; ++i) {
            z[i] = std::exp(z[i] - mx);
            sum += z[i];
        }
        row_loss[t] = static_cast<float>(std::log(sum) - static_cast<double>(zy));
        if (!want_grad) return;
        const float scale = static_cast<float>(1.0 / sum) * inv_n;
        for (int64_t i = 0; i < V; ++i) z[i] *= scale;
        z[y] -= inv_n;
    });
    return n_scored;
}

}  // namespace bitnet
