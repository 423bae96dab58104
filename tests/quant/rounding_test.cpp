#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/rng.hpp"
#include "quant/rounding.hpp"

using namespace bitnet;

TEST(Rounding, SmallRoundingEqualsNearbyint) {
    for (float v : {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.49999997f, 0.50000006f, -0.0f, 31.5f, -32.5f}) {
        EXPECT_EQ(round_even_small(v), std::nearbyint(v)) << v;
    }
    Rng rng(1);
    for (int k = 0; k < 100000; ++k) {
        const auto v = static_cast<float>((rng.uniform() - 0.5) * 300.0);
        ASSERT_EQ(round_even_small(v), std::nearbyint(v)) << v;
        const float half = std::floor(v) + 0.5f;  // exact ties
        ASSERT_EQ(round_even_small(half), std::nearbyint(half)) << half;
    }
}

TEST(Rounding, ClampedRoundings) {
    EXPECT_EQ(round_even_clamped(0.5f, -1, 1), 0);
    EXPECT_EQ(round_even_clamped(-1.5f, -1, 1), -1);
    EXPECT_EQ(round_even_clamped(2.5f, -5, 5), 2);
    EXPECT_EQ(round_even_clamped(1e30f, -1, 1), 1);
    EXPECT_EQ(round_even_clamped(-INFINITY, -128, 127), -128);
    EXPECT_EQ(round_even_clamped(std::numeric_limits<float>::quiet_NaN(), -1, 1), 0);
    EXPECT_EQ(round_away_clamped(0.5f, -1, 1), 1);
    EXPECT_EQ(round_away_clamped(-2.5f, -127, 127), -3);
    EXPECT_EQ(round_away_clamped(200.0f, -127, 127), 127);
    EXPECT_EQ(round_away_clamped(std::numeric_limits<float>::quiet_NaN(), -127, 127), 0);
}
