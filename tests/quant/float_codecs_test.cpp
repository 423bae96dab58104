#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/fp16.hpp"
#include "core/rng.hpp"
#include "quant/codecs.hpp"

using namespace bitnet;

namespace {
std::vector<float> gaussian(size_t n, uint64_t seed, double sigma = 1.0) {
    Rng rng(seed);
    std::vector<float> x(n);
    for (float& v : x) v = static_cast<float>(rng.normal() * sigma);
    return x;
}
}  // namespace

TEST(FloatCodecs, F32IsACopy) {
    const std::vector<float> x = {1.5f, -0.0f, 3.0e38f, -1.0e-40f, INFINITY};
    std::vector<uint8_t> bytes(x.size() * 4);
    quantize_row_f32(x.data(), bytes.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(std::memcmp(bytes.data(), x.data(), bytes.size()), 0);
    std::vector<float> y(x.size());
    dequantize_row_f32(bytes.data(), y.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(std::memcmp(y.data(), x.data(), bytes.size()), 0);
}

TEST(FloatCodecs, F16LayoutIsLittleEndianBinary16) {
    const float x[2] = {1.0f, -2.0f};
    uint8_t bytes[4];
    quantize_row_f16(x, bytes, 2);
    EXPECT_EQ(bytes[0], 0x00);
    EXPECT_EQ(bytes[1], 0x3c);
    EXPECT_EQ(bytes[2], 0x00);
    EXPECT_EQ(bytes[3], 0xc0);
}

TEST(FloatCodecs, F16RoundTripErrorIsHalfAnUlp) {
    const auto x = gaussian(4096, 1, 3.0);
    std::vector<uint8_t> bytes(x.size() * 2 + 1);
    // Rows need not be aligned: decode from an odd address.
    quantize_row_f16(x.data(), bytes.data() + 1, static_cast<int64_t>(x.size()));
    std::vector<float> y(x.size());
    dequantize_row_f16(bytes.data() + 1, y.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
        if (std::fabs(x[i]) < 6.1e-5f) continue;  // subnormal range has an absolute bound instead
        ASSERT_LE(std::fabs(y[i] - x[i]), std::ldexp(std::fabs(x[i]), -11)) << i;
        ASSERT_EQ(y[i], fp16_to_f32(f32_to_fp16(x[i])));
    }
    // Decoding what was encoded is stable.
    std::vector<uint8_t> again(x.size() * 2);
    quantize_row_f16(y.data(), again.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(std::memcmp(again.data(), bytes.data() + 1, again.size()), 0);
}

TEST(FloatCodecs, Bf16RoundTripErrorIsHalfAnUlp) {
    const auto x = gaussian(4096, 2, 1e3);
    std::vector<uint8_t> bytes(x.size() * 2);
    quantize_row_bf16(x.data(), bytes.data(), static_cast<int64_t>(x.size()));
    std::vector<float> y(x.size());
    dequantize_row_bf16(bytes.data(), y.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
        ASSERT_LE(std::fabs(y[i] - x[i]), std::ldexp(std::fabs(x[i]), -8)) << i;
        uint32_t bits;
        std::memcpy(&bits, &y[i], 4);
        ASSERT_EQ(bits & 0xffffu, 0u);  // exactly the upper half of a binary32
    }
    const float one = 1.0f;
    quantize_row_bf16(&one, bytes.data(), 1);
    EXPECT_EQ(bytes[0], 0x80);
    EXPECT_EQ(bytes[1], 0x3f);
}
