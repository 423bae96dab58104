#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/fp16.hpp"

using namespace bitnet;

TEST(Fp16, RoundTripsEveryHalfValue) {
    for (uint32_t h = 0; h < 0x10000u; ++h) {
        const float f = fp16_to_f32(static_cast<uint16_t>(h));
        if (std::isnan(f)) {
            EXPECT_TRUE(std::isnan(fp16_to_f32(f32_to_fp16(f))));
            continue;
        }
        EXPECT_EQ(f32_to_fp16(f), h) << "half 0x" << std::hex << h;
    }
}

TEST(Fp16, KnownValues) {
    EXPECT_EQ(fp16_to_f32(0x3c00), 1.0f);
    EXPECT_EQ(fp16_to_f32(0xc000), -2.0f);
    EXPECT_EQ(fp16_to_f32(0x7bff), 65504.0f);
    EXPECT_EQ(fp16_to_f32(0x0001), std::ldexp(1.0f, -24));
    EXPECT_EQ(f32_to_fp16(65520.0f), 0x7c00);   // rounds to infinity
    EXPECT_EQ(f32_to_fp16(65519.0f), 0x7bff);
    EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);  // halfway to the smallest subnormal: even
    EXPECT_EQ(f32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);
    EXPECT_EQ(f32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie rounds to even
    EXPECT_EQ(f32_to_fp16(1.0f + std::ldexp(3.0f, -11)), 0x3c02);
}

TEST(Fp16, RoundsToNearestForRandomFloats) {
    uint32_t state = 12345;
    for (int k = 0; k < 200000; ++k) {
        state = state * 1664525u + 1013904223u;
        const float f = bits_f32((state & 0x8fffffffu) | 0x30000000u);  // magnitudes around 1e-9 .. 1e5
        if (!std::isfinite(f) || std::fabs(f) > 65504.0f) continue;
        const float h = fp16_to_f32(f32_to_fp16(f));
        // The neighbours of the result must not be closer.
        const uint16_t hb = f32_to_fp16(f);
        const float up = fp16_to_f32(static_cast<uint16_t>(hb + 1));
        const float down = (hb & 0x7fff) ? fp16_to_f32(static_cast<uint16_t>(hb - 1)) : h;
        EXPECT_LE(std::fabs(h - f), std::fabs(up - f));
        EXPECT_LE(std::fabs(h - f), std::fabs(down - f));
    }
}

TEST(Bf16, ConvertsWithRoundToNearestEven) {
    EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
    EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
    EXPECT_EQ(f32_to_bf16(bits_f32(0x3f808000u)), 0x3f80);  // tie to even
    EXPECT_EQ(f32_to_bf16(bits_f32(0x3f818000u)), 0x3f82);
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}
