#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "core/error.hpp"
#include "sampling/sampler.hpp"

using namespace bitnet;

namespace {

SamplingParams greedy() {
    SamplingParams p;
    p.temperature = 0.0f;
    return p;
}

std::vector<float> ramp(int n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = 0.01f * static_cast<float>(i % 97) - 0.3f;
    return v;
}

}  // namespace

TEST(Sampler, GreedyPicksTheArgmaxAndTheLowestIdOnTies) {
    Sampler s(greedy(), 5);
    EXPECT_EQ(s.sample(std::vector<float>{0, 3, 1, 3, 2}, {}), 1);
    EXPECT_EQ(s.sample(std::vector<float>{-1, -2, -0.5f, -3, -4}, {}), 2);
}

TEST(Sampler, SameSeedSameSequence) {
    SamplingParams p;
    p.seed = 99;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.temperature = 1.5f;
    const auto logits = ramp(300);
    auto draw = [&](uint64_t seed) {
        p.seed = seed;
        Sampler s(p, 300);
        std::vector<int32_t> out;
        for (int i = 0; i < 50; ++i) out.push_back(s.sample(logits, out));
        return out;
    };
    EXPECT_EQ(draw(99), draw(99));
    EXPECT_NE(draw(99), draw(100));
}

TEST(Sampler, TopKOneIsGreedy) {
    SamplingParams p;
    p.top_k = 1;
    p.temperature = 5.0f;
    Sampler s(p, 300);
    const auto logits = ramp(300);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(s.sample(logits, {}), 96);
}

TEST(Sampler, TopPAndMinPCutTheTail) {
    // Probabilities at temperature 1: token 0 dominant, token 1 about 1/e^2 of it, token 2 tiny.
    const std::vector<float> logits = {4.0f, 2.0f, -6.0f, -6.5f};
    SamplingParams p;
    p.top_k = 0;
    p.temperature = 1.0f;
    p.top_p = 1.0f;
    p.min_p = 0.1f;  // keeps tokens with p >= 0.1 * p_max: 0 and 1
    Sampler s(p, 4);
    std::map<int32_t, int> seen;
    for (int i = 0; i < 2000; ++i) seen[s.sample(logits, {})]++;
    EXPECT_EQ(seen.count(2) + seen.count(3), 0u);
    EXPECT_GT(seen[1], 0);

    p.min_p = 0.0f;
    p.top_p = 0.5f;  // token 0 alone covers more than half the mass
    Sampler t(p, 4);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(t.sample(logits, {}), 0);
}

TEST(Sampler, TemperatureFollowsTheSoftmax) {
    const std::vector<float> logits = {1.0f, 0.0f, -1.0f};
    SamplingParams p;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.temperature = 2.0f;
    p.seed = 5;
    Sampler s(p, 3);
    std::vector<int> counts(3, 0);
    const int n = 60000;
    for (int i = 0; i < n; ++i) counts[static_cast<size_t>(s.sample(logits, {}))]++;
    double z = 0.0;
    for (float l : logits) z += std::exp(l / 2.0);
    for (int i = 0; i < 3; ++i) {
        const double expected = std::exp(logits[static_cast<size_t>(i)] / 2.0) / z;
        EXPECT_NEAR(counts[static_cast<size_t>(i)] / static_cast<double>(n), expected, 0.01) << i;
    }
}

TEST(Sampler, PenaltiesLookAtTheRecentHistory) {
    SamplingParams p = greedy();
    p.repeat_penalty = 4.0f;
    p.repeat_last_n = 2;
    Sampler s(p, 3);
    const std::vector<float> logits = {2.0f, 1.0f, 0.2f};
    EXPECT_EQ(s.sample(logits, std::vector<int32_t>{0, 2}), 1);     // 2 / 4 < 1
    EXPECT_EQ(s.sample(logits, std::vector<int32_t>{0, 1, 2}), 0);  // 0 is outside the last 2
    // Negative logits are multiplied, pushing them further down.
    const std::vector<float> neg = {-1.0f, -1.5f, -3.0f};
    EXPECT_EQ(s.sample(neg, std::vector<int32_t>{2, 0}), 1);

    SamplingParams f = greedy();
    f.frequency_penalty = 0.6f;
    f.repeat_last_n = -1;
    Sampler fs(f, 3);
    EXPECT_EQ(fs.sample(logits, std::vector<int32_t>{0, 0}), 1);  // 2 - 1.2 < 1
    EXPECT_EQ(fs.sample(logits, std::vector<int32_t>{0}), 0);     // 2 - 0.6 > 1

    SamplingParams pr = greedy();
    pr.presence_penalty = 1.5f;
    Sampler ps(pr, 3);
    EXPECT_EQ(ps.sample(logits, std::vector<int32_t>{0, 0, 0}), 1);  // 2 - 1.5 < 1, once per token
}

TEST(Sampler, RejectsInvalidParameters) {
    SamplingParams p;
    p.top_p = 0.0f;
    EXPECT_THROW(Sampler(p, 10), Error);
    p = {};
    p.min_p = 2.0f;
    EXPECT_THROW(Sampler(p, 10), Error);
    p = {};
    p.repeat_penalty = 0.0f;
    EXPECT_THROW(Sampler(p, 10), Error);
    p = {};
    p.repeat_last_n = -2;
    EXPECT_THROW(Sampler(p, 10), Error);
    Sampler ok(SamplingParams{}, 10);
    EXPECT_THROW(ok.sample(std::vector<float>(5, 0.0f), {}), Error);
}
