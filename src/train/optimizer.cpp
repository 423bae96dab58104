#include "train/optimizer.hpp"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.hpp"

namespace bitnet {

namespace {

constexpr double kPi = 3.14159265358979323846;

double cosine(double from, double to, double frac) {
    return to + 0.5 * (from - to) * (1.0 + std::cos(kPi * std::clamp(frac, 0.0, 1.0)));
}

}  // namespace

StepHyper schedule_at(const ScheduleOptions& o, int64_t step) {
    StepHyper h;
    const int64_t half = o.steps / 2;
    if (step < o.warmup) {
        h.lr = o.lr * static_cast<float>(step + 1) / static_cast<float>(o.warmup);
        h.weight_decay = o.weight_decay;
    } else if (step < half) {
        const double frac = static_cast<double>(step - o.warmup) / static_cast<double>(std::max<int64_t>(half - o.warmup, 1));
        h.lr = static_cast<float>(cosine(o.lr, 0.5 * o.lr, frac));
        h.weight_decay = o.weight_decay;
    } else {
        const double frac = static_cast<double>(step - half) / static_cast<double>(std::max<int64_t>(o.steps - half, 1));
        h.lr = static_cast<float>(cosine(o.lr2, 0.0, frac));
        h.weight_decay = 0.0f;
    }
    return h;
}

AdamW::AdamW(const ParamLayout& layout, float beta1, float beta2, float eps)
    : layout_(layout), beta1_(beta1), beta2_(beta2), eps_(eps), m_(layout.n_floats, 0.0f), v_(layout.n_floats, 0.0f) {}

double AdamW::clip(ThreadPool& pool, float* grads, float max_norm) const {
    // Partial sums over fixed chunks, added in chunk order: the norm does not depend on threads.
    constexpr size_t kChunk = 1 << 16;
    const size_t n = layout_.n_floats, chunks = (n + kChunk - 1) / kChunk;
    std::vector<double> part(chunks, 0.0);
    pool.parallel_for(chunks, 1, [&](size_t b, size_t e) {
        for (size_t c = b; c < e; ++c) {
            double s = 0.0;
            for (size_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) s += static_cast<double>(grads[i]) * grads[i];
            part[c] = s;
        }
    });
    double sum = 0.0;
    for (double p : part) sum += p;
    const double norm = std::sqrt(sum);
    if (max_norm > 0.0f && norm > max_norm) {
        const auto scale = static_cast<float>(max_norm / norm);
        pool.parallel_for(n, kChunk, [&](size_t b, size_t e) {
            for (size_t i = b; i < e; ++i) grads[i] *= scale;
        });
    }
    return norm;
}

void AdamW::update(ThreadPool& pool, float* params, const float* grads, int64_t step, const StepHyper& h) {
    const float c1 = 1.0f - static_cast<float>(std::pow(beta1_, static_cast<double>(step + 1)));
    const float c2 = 1.0f - static_cast<float>(std::pow(beta2_, static_cast<double>(step + 1)));
    for (const ParamTensor& t : layout_.tensors) {
        const float wd = t.decay ? h.weight_decay : 0.0f;
        float* p = params + t.offset;
        const float* g = grads + t.offset;
        float* m = m_.data() + t.offset;
        float* v = v_.data() + t.offset;
        pool.parallel_for(t.size(), 1 << 14, [&](size_t b, size_t e) {
            for (size_t i = b; i < e; ++i) {
                m[i] = beta1_ * m[i] + (1.0f - beta1_) * g[i];
                v[i] = beta2_ * v[i] + (1.0f - beta2_) * g[i] * g[i];
                const float mh = m[i] / c1, vh = v[i] / c2;
                p[i] -= h.lr * (mh / (std::sqrt(vh) + eps_) + wd * p[i]);
            }
        });
    }
}

}  // namespace bitnet
