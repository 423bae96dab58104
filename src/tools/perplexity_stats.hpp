#pragma once
// Statistics of perplexity and KL-divergence runs, defined as llama.cpp's perplexity tool
// defines them (mean with the standard error of the mean, PPL = exp(mean NLL) with uncertainty
// PPL * stderr, linearly interpolated percentiles), so figures from either engine compare.
#include <cstdint>
#include <span>
#include <vector>

namespace bitnet {

// A value and its one-sigma uncertainty.
struct Estimate {
    double value = 0.0;
    double uncertainty = 0.0;
};

// Mean of `count` values from their sum and sum of squares, with the standard error
// sqrt(variance / (count - 1)) (0 when fewer than two values or no spread).
Estimate mean_and_stderr(double sum, double sum2, int64_t count);
// Covariance of the means of two paired quantities: (E[ab] - E[a] E[b]) / (count - 1).
double covariance_of_means(double sum_a, double sum_b, double sum_ab, int64_t count);
// Proportion k/n with the binomial uncertainty sqrt(p (1 - p) / (n - 1)).
Estimate proportion(int64_t k, int64_t n);
// Linear interpolation at fraction * (n - 1) in ascending `sorted` (ends clamp).
double percentile(std::span<const double> sorted, double fraction);
// Middle value, or the mean of the two middle values.
double median(std::span<const double> sorted);

// Running sums of one per-token quantity.
struct Moments {
    double sum = 0.0;
    double sum2 = 0.0;
    int64_t count = 0;
    void add(double v) {
        sum += v;
        sum2 += v * v;
        ++count;
    }
    Estimate mean() const { return mean_and_stderr(sum, sum2, count); }
};

// exp(mean NLL), with uncertainty PPL * stderr(NLL).
Estimate perplexity_from_nll(const Moments& nll);

// Negative log-likelihood of `token` under softmax(logits).
double token_nll(std::span<const float> logits, int32_t token);

// llama.cpp leaves base log-probabilities at or below this out of the KLD sum: a file clamps
// small logits into its lowest code, so their values are not trustworthy.
inline constexpr float kKldLogProbFloor = -16.0f;

// One scored position of a model compared with the base model's record for it.
struct TokenComparison {
    double nll = 0.0;       // -log p(next token) under the model
    double nll_base = 0.0;  // ... and under the base
    double kld = 0.0;       // KL(base || model) = sum p_base (log p_base - log p_model)
    double p_diff = 0.0;    // p_model(next) - p_base(next)
    bool same_top = false;  // both give their highest probability to the same token
};

// logits: the model's n_vocab scores; base_record: a logits-file record (see kld_file.hpp).
TokenComparison compare_with_base(std::span<const float> logits, std::span<const uint16_t> base_record, int32_t next);

// Sorted-distribution summary (the percentiles llama.cpp prints).
struct Distribution {
    double max = 0, p99_9 = 0, p99 = 0, p95 = 0, p90 = 0, p75 = 0, median = 0, p25 = 0, p10 = 0, p5 = 0, p1 = 0,
           p0_1 = 0, min = 0;
};
Distribution distribution(std::vector<double> values);

// Figures shown after each chunk.
struct KldRunning {
    Estimate ppl_q;
    Estimate ln_ppl_ratio;
    Estimate kld;
    Estimate p_diff_rms;
    Estimate same_top;
};

struct KldSummary {
    int64_t count = 0;
    Estimate ppl_q, ppl_base;
    double ln_ppl_cor = 0.0;  // correlation of the per-token NLLs' means
    Estimate ln_ppl_ratio, ppl_ratio, ppl_diff;
    Estimate kld;
    Distribution kld_dist;
    Estimate p_diff;
    Distribution p_diff_dist;
    Estimate p_diff_rms;
    Estimate same_top;
};

class KldAccumulator {
public:
    void add(const TokenComparison& t);
    int64_t count() const { return nll_.count; }
    KldRunning running() const;
    KldSummary summary() const;

private:
    Estimate ln_ppl_ratio() const;
    Estimate p_diff_rms() const;

    Moments nll_, nll_base_, kld_, p_diff_, p_diff2_;  // p_diff2_ holds p_diff^2 (for the RMS)
    double sum_nll_nll_base_ = 0.0;
    int64_t same_top_ = 0;
    std::vector<double> kld_values_, p_diff_values_;
};

}  // namespace bitnet
