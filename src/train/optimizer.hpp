#pragma once
// AdamW over the flat parameter array, global-norm gradient clipping, and the learning-rate /
// weight-decay schedule of BitNet b1.58's two-stage recipe.
#include <cstdint>
#include <vector>

#include "train/params.hpp"

namespace bitnet {

class ThreadPool;

struct ScheduleOptions {
    int64_t steps = 1000;
    int64_t warmup = 100;
    float lr = 1.5e-3f;    // stage 1 peak
    float lr2 = 5e-4f;     // stage 2 start (the drop at half-way)
    float weight_decay = 0.1f;  // stage 1; stage 2 trains without decay
};

struct StepHyper {
    float lr = 0.0f;
    float weight_decay = 0.0f;
};

// Linear warm-up to lr, cosine from lr to lr/2 until half-way; then lr2 decaying by cosine to 0,
// with weight decay switched off (BitNet b1.58: a high rate first, a lower one after the drop).
StepHyper schedule_at(const ScheduleOptions& o, int64_t step);

class AdamW {
public:
    AdamW(const ParamLayout& layout, float beta1 = 0.9f, float beta2 = 0.95f, float eps = 1e-8f);

    // Scales grads so that their global L2 norm is at most max_norm (0: no clipping); returns the
    // norm before clipping.
    double clip(ThreadPool& pool, float* grads, float max_norm) const;
    // One update; `step` counts from 0 (bias correction uses step + 1).
    void update(ThreadPool& pool, float* params, const float* grads, int64_t step, const StepHyper& h);

    std::vector<float>& m() { return m_; }
    std::vector<float>& v() { return v_; }

private:
    const ParamLayout& layout_;
    float beta1_, beta2_, eps_;
    std::vector<float> m_, v_;
};

}  // namespace bitnet
