#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/fp16.hpp"
#include "core/rng.hpp"
#include "quant/codecs.hpp"

using namespace bitnet;

TEST(Q8_0, BlockLayout) {
    float x[32] = {};
    x[0] = 127.0f;
    x[1] = -63.5f;  // tie: ggml's roundf rounds away from zero -> -64
    x[2] = 2.5f;    //                                            -> 3
    x[31] = -127.0f;
    uint8_t block[34];
    quantize_row_q8_0(x, block, 32);
    EXPECT_EQ(block[0] | block[1] << 8, 0x3c00);  // d = 127/127 = 1
    EXPECT_EQ(static_cast<int8_t>(block[2]), 127);
    EXPECT_EQ(static_cast<int8_t>(block[3]), -64);
    EXPECT_EQ(static_cast<int8_t>(block[4]), 3);
    EXPECT_EQ(static_cast<int8_t>(block[5]), 0);
    EXPECT_EQ(static_cast<int8_t>(block[33]), -127);
    float y[32];
    dequantize_row_q8_0(block, y, 32);
    EXPECT_EQ(y[1], -64.0f);
    EXPECT_EQ(y[31], -127.0f);
}

TEST(Q8_0, ZeroBlockGivesZeroScaleAndQuants) {
    std::vector<float> x(64, 0.0f);
    x[40] = 1.0f;
    std::vector<uint8_t> q(68, 0xAA);
    quantize_row_q8_0(x.data(), q.data(), 64);
    for (int i = 0; i < 34; ++i) EXPECT_EQ(q[static_cast<size_t>(i)], 0) << i;
    std::vector<float> y(64);
    dequantize_row_q8_0(q.data(), y.data(), 64);
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_NEAR(y[40], 1.0f, 1e-3f);
}

TEST(Q8_0, RoundTripErrorBound) {
    Rng rng(7);
    const int64_t n = 32 * 512;
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = static_cast<float>(rng.normal() * 0.05);
    std::vector<uint8_t> q(static_cast<size_t>(n / 32 * 34));
    quantize_row_q8_0(x.data(), q.data(), n);
    std::vector<float> y(static_cast<size_t>(n));
    dequantize_row_q8_0(q.data(), y.data(), n);
    double err2 = 0.0, x2 = 0.0;
    for (int64_t b = 0; b < n / 32; ++b) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[static_cast<size_t>(b * 32 + j)]));
        for (int j = 0; j < 32; ++j) {
            const size_t i = static_cast<size_t>(b * 32 + j);
            // Half a step, plus the f16 rounding of d (relative 2^-11, times up to 127 steps).
            ASSERT_LE(std::fabs(y[i] - x[i]), amax / 127.0f * 0.5f + amax * 0x1p-11f * 1.01f) << i;
            err2 += static_cast<double>(y[i] - x[i]) * (y[i] - x[i]);
            x2 += static_cast<double>(x[i]) * x[i];
        }
    }
    EXPECT_LT(std::sqrt(err2 / x2), 0.01);
}
