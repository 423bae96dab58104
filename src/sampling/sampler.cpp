#include "sampling/sampler.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace bitnet {

void validate(const SamplingParams& p) {
    if (!std::isfinite(p.temperature)) fail("sampling: temperature must be a finite number");
    if (!(p.top_p > 0.0f) || !std::isfinite(p.top_p)) fail(strprintf("sampling: top-p %g must be in (0, 1]", p.top_p));
    if (!(p.min_p >= 0.0f) || p.min_p > 1.0f) fail(strprintf("sampling: min-p %g must be in [0, 1]", p.min_p));
    if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty)) {
        fail(strprintf("sampling: repeat penalty %g must be positive", p.repeat_penalty));
    }
    if (p.repeat_last_n < -1) fail("sampling: repeat-last-n must be -1 (whole history), 0 (off) or positive");
    if (!std::isfinite(p.frequency_penalty) || !std::isfinite(p.presence_penalty)) {
        fail("sampling: frequency and presence penalties must be finite");
    }
}

Sampler::Sampler(const SamplingParams& params, int32_t n_vocab)
    : params_(params),
      n_vocab_(n_vocab),
      rng_(params.seed),
      logits_(static_cast<size_t>(n_vocab)),
      candidates_(static_cast<size_t>(n_vocab)),
      counts_(static_cast<size_t>(n_vocab), 0) {
    validate(params);
}

void Sampler::apply_penalties(std::span<const int32_t> history) {
    const bool any = params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f ||
                     params_.presence_penalty != 0.0f;
    if (!any || params_.repeat_last_n == 0 || history.empty()) return;
    size_t n = history.size();
    if (params_.repeat_last_n > 0) n = std::min(n, static_cast<size_t>(params_.repeat_last_n));
    touched_.clear();
    for (int32_t id : history.subspan(history.size() - n)) {
        if (id < 0 || id >= n_vocab_) continue;
        if (counts_[static_cast<size_t>(id)]++ == 0) touched_.push_back(id);
    }
    for (int32_t id : touched_) {
        float& l = logits_[static_cast<size_t>(id)];
        const int32_t count = counts_[static_cast<size_t>(id)];
        l = l > 0.0f ? l / params_.repeat_penalty : l * params_.repeat_penalty;
        l -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
        counts_[static_cast<size_t>(id)] = 0;
    }
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
    if (static_cast<int64_t>(logits.size()) < n_vocab_) fail("sampler: logits are shorter than the vocabulary");
    std::copy_n(logits.begin(), n_vocab_, logits_.begin());
    apply_penalties(history);

    if (params_.temperature <= 0.0f) {
        // Greedy; ties go to the lowest id so results never depend on anything but the logits.
        return static_cast<int32_t>(std::max_element(logits_.begin(), logits_.end()) - logits_.begin());
    }

    size_t n = static_cast<size_t>(n_vocab_);
    for (size_t i = 0; i < n; ++i) candidates_[i] = {static_cast<int32_t>(i), logits_[i]};
    auto by_logit = [](const Candidate& a, const Candidate& b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    };
    if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) {
        n = static_cast<size_t>(params_.top_k);
        std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<long>(n), candidates_.end(), by_logit);
    } else {
        std::sort(candidates_.begin(), candidates_.end(), by_logit);
    }

    // Probabilities of the remaining candidates at temperature 1 for top-p and min-p.
    const float max_logit = candidates_[0].logit;
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) total += std::exp(static_cast<double>(candidates_[i].logit - max_logit));
    if (params_.top_p < 1.0f) {
        double cum = 0.0;
        size_t keep = n;
        for (size_t i = 0; i < n; ++i) {
            cum += std::exp(static_cast<double>(candidates_[i].logit - max_logit)) / total;
            if (cum >= params_.top_p) {
                keep = i + 1;
                break;
            }
        }
        n = keep;
    }
    if (params_.min_p > 0.0f) {
        // p_i >= min_p * p_max  <=>  logit_i >= max_logit + log(min_p)
        const float threshold = max_logit + std::log(params_.min_p);
        size_t keep = 1;
        while (keep < n && candidates_[keep].logit >= threshold) ++keep;
        n = keep;
    }

    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double w = std::exp(static_cast<double>(candidates_[i].logit - max_logit) / params_.temperature);
        candidates_[i].logit = static_cast<float>(w);
        sum += w;
    }
    double r = rng_.uniform() * sum;
    for (size_t i = 0; i < n; ++i) {
        r -= candidates_[i].logit;
        if (r < 0.0) return candidates_[i].id;
    }
    return candidates_[n - 1].id;
}

}  // namespace bitnet
