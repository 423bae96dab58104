// Statistics helpers of the perplexity tool against hand-computed values.
#include "tools/perplexity_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tools/kld_file.hpp"

namespace bitnet {
namespace {

TEST(PerplexityStats, MeanAndStandardError) {
    // 1, 2, 3, 4: mean 2.5, population variance 1.25, stderr sqrt(1.25 / 3).
    const Estimate e = mean_and_stderr(10.0, 30.0, 4);
    EXPECT_DOUBLE_EQ(e.value, 2.5);
    EXPECT_NEAR(e.uncertainty, std::sqrt(1.25 / 3.0), 1e-12);
    Moments m;
    for (double v : {1.0, 2.0, 3.0, 4.0}) m.add(v);
    EXPECT_EQ(m.count, 4);
    EXPECT_DOUBLE_EQ(m.mean().value, 2.5);
    EXPECT_NEAR(m.mean().uncertainty, e.uncertainty, 1e-12);
    // Degenerate cases give no uncertainty rather than NaN.
    EXPECT_EQ(mean_and_stderr(3.0, 9.0, 1).uncertainty, 0.0);
    EXPECT_EQ(mean_and_stderr(6.0, 12.0, 3).uncertainty, 0.0);  // 2, 2, 2
    EXPECT_EQ(mean_and_stderr(0.0, 0.0, 0).value, 0.0);
}

TEST(PerplexityStats, PerplexityFromNll) {
    Moments m;
    for (double v : {1.0, 2.0, 3.0, 4.0}) m.add(v);
    const Estimate ppl = perplexity_from_nll(m);
    EXPECT_NEAR(ppl.value, std::exp(2.5), 1e-9);                                // 12.18249...
    EXPECT_NEAR(ppl.uncertainty, std::exp(2.5) * std::sqrt(1.25 / 3.0), 1e-9);  // 7.8645...
}

TEST(PerplexityStats, ProportionAndCovariance) {
    const Estimate p = proportion(3, 4);
    EXPECT_DOUBLE_EQ(p.value, 0.75);
    EXPECT_NEAR(p.uncertainty, 0.25, 1e-12);  // sqrt(0.75 * 0.25 / 3)
    EXPECT_EQ(proportion(5, 5).uncertainty, 0.0);
    // a = 1, 2, 3 and b = 2, 4, 6: E[ab] - E[a]E[b] = 28/3 - 8 = 4/3, divided by n - 1 = 2.
    EXPECT_NEAR(covariance_of_means(6.0, 12.0, 28.0, 3), 2.0 / 3.0, 1e-12);
    EXPECT_EQ(covariance_of_means(1.0, 1.0, 1.0, 1), 0.0);
}

TEST(PerplexityStats, PercentilesAndMedian) {
    const std::vector<double> v = {1, 2, 3, 4, 5};
    EXPECT_DOUBLE_EQ(percentile(v, 0.5), 3.0);
    EXPECT_DOUBLE_EQ(percentile(v, 0.9), 4.6);  // position 3.6
    EXPECT_DOUBLE_EQ(percentile(v, 0.999), 4.996);
    EXPECT_DOUBLE_EQ(percentile(v, 0.0), 1.0);
    EXPECT_DOUBLE_EQ(percentile(v, 1.0), 5.0);
    EXPECT_DOUBLE_EQ(median(v), 3.0);
    EXPECT_DOUBLE_EQ(median(std::vector<double>{1, 2, 3, 10}), 2.5);
    const Distribution d = distribution({5, 1, 4, 2, 3});  // sorts its input
    EXPECT_EQ(d.max, 5.0);
    EXPECT_EQ(d.min, 1.0);
    EXPECT_EQ(d.median, 3.0);
    EXPECT_DOUBLE_EQ(d.p10, 1.4);
    EXPECT_DOUBLE_EQ(d.p25, 2.0);
    EXPECT_DOUBLE_EQ(d.p75, 4.0);
    EXPECT_DOUBLE_EQ(d.p99, 4.96);
}

TEST(PerplexityStats, TokenNll) {
    // softmax(0, ln 3) = (1/4, 3/4).
    const std::vector<float> logits = {0.0f, std::log(3.0f)};
    EXPECT_NEAR(token_nll(logits, 1), -std::log(0.75), 1e-6);
    EXPECT_NEAR(token_nll(logits, 0), std::log(4.0), 1e-6);
    const std::vector<float> shifted = {1000.0f, 1000.0f + std::log(3.0f)};  // no overflow
    EXPECT_NEAR(token_nll(shifted, 1), -std::log(0.75), 1e-4);
}

TEST(PerplexityStats, CompareWithBaseByHand) {
    // Base: equal logits, p = (1/2, 1/2) (scale 0: stored exactly). Model: p = (1/4, 3/4).
    std::vector<uint16_t> record(logits_record_values(2));
    encode_log_probs(std::vector<float>{2.0f, 2.0f}, record);
    const std::vector<float> model = {0.0f, std::log(3.0f)};
    const TokenComparison t = compare_with_base(model, record, 1);
    const double kld = 0.5 * std::log(0.5 / 0.25) + 0.5 * std::log(0.5 / 0.75);  // 0.143841...
    EXPECT_NEAR(t.kld, kld, 1e-6);
    EXPECT_NEAR(t.nll, -std::log(0.75), 1e-6);
    EXPECT_NEAR(t.nll_base, std::log(2.0), 1e-6);
    EXPECT_NEAR(t.p_diff, 0.25, 1e-6);
    EXPECT_FALSE(t.same_top);  // the base's tie resolves to token 0, the model prefers 1

    // Against its own (quantized) logits: KLD within the quantization error, same top token.
    std::vector<uint16_t> own(logits_record_values(2));
    encode_log_probs(model, own);
    const TokenComparison self = compare_with_base(model, own, 0);
    EXPECT_NEAR(self.kld, 0.0, 1e-4);
    EXPECT_TRUE(self.same_top);
    EXPECT_NEAR(self.nll, self.nll_base, 1e-4);
}

TEST(PerplexityStats, BaseProbabilitiesBelowTheFloorAreLeftOut) {
    // The base puts ~e^-20 on token 1 and the model e^-40: llama.cpp skips such tiny base terms.
    std::vector<uint16_t> record(logits_record_values(2));
    encode_log_probs(std::vector<float>{0.0f, -20.0f}, record);
    const TokenComparison t = compare_with_base(std::vector<float>{0.0f, -40.0f}, record, 0);
    EXPECT_NEAR(t.kld, 0.0, 1e-6);
    EXPECT_TRUE(t.same_top);
}

TEST(PerplexityStats, KldAccumulatorSummary) {
    KldAccumulator acc;
    // nll = 1, 2, 3, 4 with base nll 1, 1, 3, 3; KLD 0.1 .. 0.4; p_diff +-0.1; three tops agree.
    const double nll[] = {1, 2, 3, 4}, base[] = {1, 1, 3, 3}, kld[] = {0.4, 0.1, 0.3, 0.2},
                 dp[] = {0.1, -0.1, 0.1, -0.1};
    for (int i = 0; i < 4; ++i) acc.add({nll[i], base[i], kld[i], dp[i], i != 2});
    EXPECT_EQ(acc.count(), 4);
    const KldSummary s = acc.summary();
    EXPECT_NEAR(s.ppl_q.value, std::exp(2.5), 1e-9);
    EXPECT_NEAR(s.ppl_base.value, std::exp(2.0), 1e-9);
    EXPECT_NEAR(s.ln_ppl_ratio.value, 0.5, 1e-12);
    EXPECT_NEAR(s.ppl_ratio.value, std::exp(0.5), 1e-9);
    EXPECT_NEAR(s.ppl_diff.value, std::exp(2.5) - std::exp(2.0), 1e-9);
    // Differences nll - base = 0, 1, 0, 1: their stderr is the ratio's uncertainty.
    EXPECT_NEAR(s.ln_ppl_ratio.uncertainty, std::sqrt(0.25 / 3.0), 1e-9);
    // cov = (E[ab] - E[a]E[b]) / 3 = (24/4 - 2.5 * 2) / 3; each stderr sqrt(1.25/3) and sqrt(1/3).
    EXPECT_NEAR(s.ln_ppl_cor, (1.0 / 3.0) / (std::sqrt(1.25 / 3.0) * std::sqrt(1.0 / 3.0)), 1e-9);
    EXPECT_NEAR(s.kld.value, 0.25, 1e-12);
    EXPECT_NEAR(s.kld.uncertainty, std::sqrt(0.0125 / 3.0), 1e-12);
    EXPECT_DOUBLE_EQ(s.kld_dist.max, 0.4);
    EXPECT_DOUBLE_EQ(s.kld_dist.min, 0.1);
    EXPECT_DOUBLE_EQ(s.kld_dist.median, 0.25);
    EXPECT_NEAR(s.kld_dist.p99_9, 0.3 + 0.997 * 0.1, 1e-12);
    EXPECT_NEAR(s.p_diff.value, 0.0, 1e-12);
    EXPECT_NEAR(s.p_diff_rms.value, 0.1, 1e-12);
    EXPECT_NEAR(s.same_top.value, 0.75, 1e-12);
    EXPECT_NEAR(s.same_top.uncertainty, 0.25, 1e-12);
    const KldRunning r = acc.running();
    EXPECT_NEAR(r.kld.value, 0.25, 1e-12);
    EXPECT_NEAR(r.ppl_q.value, std::exp(2.5), 1e-9);
}

}  // namespace
}  // namespace bitnet
