#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "quant/ternary.hpp"

using namespace bitnet;

namespace {
std::vector<int> as_ints(const TernaryTensor& t) { return {t.values.begin(), t.values.end()}; }
}  // namespace

TEST(TernarizeAbsmean, SmallHandComputedCase) {
    // mean|w| = (0.5 + 1.5 + 1 + 0) / 4 = 0.75, s = 1/0.75; w*s = 0.667, -2, 1.333, 0.
    const float w[4] = {0.5f, -1.5f, 1.0f, 0.0f};
    const TernaryTensor t = ternarize_absmean(w, 4);
    EXPECT_EQ(as_ints(t), (std::vector<int>{1, -1, 1, 0}));
    EXPECT_FLOAT_EQ(t.scale, 0.75f);
    EXPECT_EQ(t.scale, 1.0f / (1.0f / 0.75f));  // alpha is 1/s, computed in float
}

TEST(TernarizeAbsmean, TiesRoundHalfToEven) {
    // sum|w| = 8 exactly, so mean = 1 and w*s = w: +-0.5 are ties that go to 0 (half away from
    // zero would give +-1); 1.5 rounds to 2 and clamps to 1; -2.5 rounds to -2 and clamps to -1.
    const float w[8] = {0.5f, -0.5f, 1.5f, -2.5f, 0.25f, 0.75f, -1.0f, 1.0f};
    const TernaryTensor t = ternarize_absmean(w, 8);
    EXPECT_EQ(t.scale, 1.0f);
    EXPECT_EQ(as_ints(t), (std::vector<int>{0, 0, 1, -1, 0, 1, -1, 1}));
}

TEST(TernarizeAbsmean, ExactTiesWithPowerOfTwoMean) {
    // mean|w| = 0.25 exactly: s = 4, so w = 0.125 is an exact tie (-> 0) and 0.375 -> 1.5 -> 2 -> 1.
    const float w[4] = {0.125f, -0.125f, 0.375f, -0.375f};
    const TernaryTensor t = ternarize_absmean(w, 4);
    EXPECT_EQ(t.scale, 0.25f);
    EXPECT_EQ(as_ints(t), (std::vector<int>{0, 0, 1, -1}));
}

TEST(TernarizeAbsmean, MeanIsFlooredAt1e5) {
    // mean|w| = 4e-6 < 1e-5, so s = 1e5: w*s = 0.1, -0.8, 0, 0.7, 0.4.
    const float w[5] = {1e-6f, -8e-6f, 0.0f, 7e-6f, 4e-6f};
    const TernaryTensor t = ternarize_absmean(w, 5);
    EXPECT_EQ(as_ints(t), (std::vector<int>{0, -1, 0, 1, 0}));
    EXPECT_EQ(t.scale, 1.0f / (1.0f / 1e-5f));
    EXPECT_NEAR(t.scale, 1e-5f, 1e-12f);

    const float zeros[3] = {0.0f, 0.0f, 0.0f};
    const TernaryTensor z = ternarize_absmean(zeros, 3);
    EXPECT_EQ(as_ints(z), (std::vector<int>{0, 0, 0}));
    EXPECT_NEAR(z.scale, 1e-5f, 1e-12f);
}

TEST(TernarizeAbsmean, MatchesTheFormulaOnRandomWeights) {
    Rng rng(3);
    std::vector<float> w(10000);
    for (float& v : w) v = static_cast<float>(rng.normal() * 0.02);
    double sum = 0.0;
    for (float v : w) sum += std::fabs(v);
    const float s = 1.0f / static_cast<float>(sum / static_cast<double>(w.size()));
    const TernaryTensor t = ternarize_absmean(w.data(), static_cast<int64_t>(w.size()));
    EXPECT_EQ(t.scale, 1.0f / s);
    size_t zeros = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        const float r = std::nearbyint(w[i] * s);
        ASSERT_EQ(t.values[i], static_cast<int8_t>(std::fmax(-1.0f, std::fmin(1.0f, r)))) << i;
        zeros += t.values[i] == 0;
    }
    // For Gaussian weights |w| < mean|w|/2 has probability ~0.31.
    EXPECT_NEAR(static_cast<double>(zeros) / static_cast<double>(w.size()), 0.31, 0.02);
}

TEST(TernarizeAbsmean, NanReadsAsZero) {
    const float w[3] = {1.0f, NAN, -1.0f};
    const TernaryTensor t = ternarize_absmean(w, 3);
    EXPECT_EQ(t.values[1], 0);
}
