#include "tools/perplexity_stats.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "tools/kld_file.hpp"

namespace bitnet {

Estimate mean_and_stderr(double sum, double sum2, int64_t count) {
    if (count < 1) return {};
    const auto n = static_cast<double>(count);
    const double mean = sum / n;
    const double var = sum2 / n - mean * mean;
    return {mean, var > 0.0 && count > 1 ? std::sqrt(var / (n - 1.0)) : 0.0};
}

double covariance_of_means(double sum_a, double sum_b, double sum_ab, int64_t count) {
    if (count < 2) return 0.0;
    const auto n = static_cast<double>(count);
    return (sum_ab / n - (sum_a / n) * (sum_b / n)) / (n - 1.0);
}

Estimate proportion(int64_t k, int64_t n) {
    if (n < 1) return {};
    const double p = static_cast<double>(k) / static_cast<double>(n);
    return {p, n > 1 ? std::sqrt(p * (1.0 - p) / static_cast<double>(n - 1)) : 0.0};
}

double percentile(std::span<const double> sorted, double fraction) {
    if (sorted.empty()) return 0.0;
    if (fraction <= 0.0) return sorted.front();
    if (fraction >= 1.0) return sorted.back();
    double pos = fraction * static_cast<double>(sorted.size() - 1);
    const auto i = static_cast<size_t>(pos);
    pos -= static_cast<double>(i);
    return (1.0 - pos) * sorted[i] + pos * sorted[std::min(i + 1, sorted.size() - 1)];
}

double median(std::span<const double> sorted) {
    if (sorted.empty()) return 0.0;
    const size_t n = sorted.size();
    return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

Estimate perplexity_from_nll(const Moments& nll) {
    const Estimate m = nll.mean();
    const double ppl = std::exp(m.value);
    return {ppl, ppl * m.uncertainty};
}

double token_nll(std::span<const float> logits, int32_t token) {
    if (token < 0 || static_cast<size_t>(token) >= logits.size()) {
        fail(strprintf("token %d is outside the vocabulary of %zu", token, logits.size()));
    }
    const float max_logit = *std::max_element(logits.begin(), logits.end());
    double sum_exp = 0.0;
    for (float v : logits) sum_exp += std::exp(v - max_logit);
    return static_cast<double>(max_logit) + std::log(sum_exp) - static_cast<double>(logits[static_cast<size_t>(token)]);
}

TokenComparison compare_with_base(std::span<const float> logits, std::span<const uint16_t> base_record, int32_t next) {
    const size_t n_vocab = logits.size();
    if (n_vocab == 0 || base_record.size() != logits_record_values(static_cast<int64_t>(n_vocab))) {
        fail(strprintf("base record of %zu values does not match a vocabulary of %zu", base_record.size(), n_vocab));
    }
    if (next < 0 || static_cast<size_t>(next) >= n_vocab) {
        fail(strprintf("token %d is outside the vocabulary of %zu", next, n_vocab));
    }
    size_t imax = 0;
    for (size_t i = 1; i < n_vocab; ++i) {
        if (logits[i] > logits[imax]) imax = i;
    }
    const float max_logit = logits[imax];
    double sum_exp = 0.0;
    for (float v : logits) sum_exp += std::exp(v - max_logit);
    // log p_model(i) = logits[i] - log_norm
    const double log_norm = static_cast<double>(max_logit) + std::log(sum_exp);

    const double scale = record_scale(base_record), min_log_prob = record_min_log_prob(base_record);
    const uint16_t* codes = base_record.data() + 4;
    TokenComparison t;
    t.nll = log_norm - static_cast<double>(logits[static_cast<size_t>(next)]);
    t.nll_base = -(scale * codes[next] + min_log_prob);

    double kld = 0.0;
    size_t imax_base = 0;
    for (size_t i = 0; i < n_vocab; ++i) {
        if (codes[i] > codes[imax_base]) imax_base = i;
        const double log_p_base = scale * codes[i] + min_log_prob;
        if (log_p_base > kKldLogProbFloor) {
            kld += std::exp(log_p_base) * (log_p_base - (static_cast<double>(logits[i]) - log_norm));
        }
    }
    t.kld = kld;
    t.same_top = imax == imax_base;
    t.p_diff = std::exp(-t.nll) - std::exp(-t.nll_base);
    return t;
}

Distribution distribution(std::vector<double> values) {
    Distribution d;
    if (values.empty()) return d;
    std::sort(values.begin(), values.end());
    const std::span<const double> s(values);
    d.max = s.back();
    d.p99_9 = percentile(s, 0.999);
    d.p99 = percentile(s, 0.99);
    d.p95 = percentile(s, 0.95);
    d.p90 = percentile(s, 0.90);
    d.p75 = percentile(s, 0.75);
    d.median = median(s);
    d.p25 = percentile(s, 0.25);
    d.p10 = percentile(s, 0.10);
    d.p5 = percentile(s, 0.05);
    d.p1 = percentile(s, 0.01);
    d.p0_1 = percentile(s, 0.001);
    d.min = s.front();
    return d;
}

void KldAccumulator::add(const TokenComparison& t) {
    nll_.add(t.nll);
    nll_base_.add(t.nll_base);
    sum_nll_nll_base_ += t.nll * t.nll_base;
    kld_.add(t.kld);
    p_diff_.add(t.p_diff);
    p_diff2_.add(t.p_diff * t.p_diff);
    if (t.same_top) ++same_top_;
    kld_values_.push_back(t.kld);
    p_diff_values_.push_back(t.p_diff);
}

Estimate KldAccumulator::ln_ppl_ratio() const {
    const Estimate q = nll_.mean(), base = nll_base_.mean();
    const double cov = covariance_of_means(nll_.sum, nll_base_.sum, sum_nll_nll_base_, count());
    const double var = q.uncertainty * q.uncertainty + base.uncertainty * base.uncertainty - 2.0 * cov;
    return {q.value - base.value, std::sqrt(std::max(var, 0.0))};
}

Estimate KldAccumulator::p_diff_rms() const {
    // Mean of p_diff^2 with its uncertainty (from the sum of p_diff^4), then d(sqrt x) = dx / (2 sqrt x).
    const Estimate mse = p_diff2_.mean();
    const double rms = std::sqrt(std::max(mse.value, 0.0));
    return {rms, rms > 0.0 ? 0.5 / rms * mse.uncertainty : 0.0};
}

KldRunning KldAccumulator::running() const {
    KldRunning r;
    r.ppl_q = perplexity_from_nll(nll_);
    r.ln_ppl_ratio = ln_ppl_ratio();
    r.kld = kld_.mean();
    r.p_diff_rms = p_diff_rms();
    r.same_top = proportion(same_top_, count());
    return r;
}

KldSummary KldAccumulator::summary() const {
    KldSummary s;
    s.count = count();
    s.ppl_q = perplexity_from_nll(nll_);
    s.ppl_base = perplexity_from_nll(nll_base_);
    const Estimate q = nll_.mean(), base = nll_base_.mean();
    const double cov = covariance_of_means(nll_.sum, nll_base_.sum, sum_nll_nll_base_, count());
    const double denom = q.uncertainty * base.uncertainty;
    s.ln_ppl_cor = denom > 0.0 ? cov / denom : 0.0;
    s.ln_ppl_ratio = ln_ppl_ratio();
    const double ratio = std::exp(s.ln_ppl_ratio.value);
    s.ppl_ratio = {ratio, ratio * s.ln_ppl_ratio.uncertainty};
    const double ppl_cov = s.ppl_q.value * s.ppl_base.value * cov;
    const double diff_var =
        s.ppl_q.uncertainty * s.ppl_q.uncertainty + s.ppl_base.uncertainty * s.ppl_base.uncertainty - 2.0 * ppl_cov;
    s.ppl_diff = {s.ppl_q.value - s.ppl_base.value, std::sqrt(std::max(diff_var, 0.0))};
    s.kld = kld_.mean();
    s.kld_dist = distribution(kld_values_);
    s.p_diff = p_diff_.mean();
    s.p_diff_dist = distribution(p_diff_values_);
    s.p_diff_rms = p_diff_rms();
    s.same_top = proportion(same_top_, count());
    return s;
}

}  // namespace bitnet
