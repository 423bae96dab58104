#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/rng.hpp"
#include "quant/codecs.hpp"
#include "quant/ternary.hpp"

using namespace bitnet;

namespace {
std::vector<int8_t> random_ternary(int64_t n, uint64_t seed) {
    Rng rng(seed);
    std::vector<int8_t> v(static_cast<size_t>(n));
    for (int8_t& t : v) t = static_cast<int8_t>(static_cast<int>(rng.below(3)) - 1);
    return v;
}
}  // namespace

// Section 8.3 of the format spec: blk.0.attn_q.weight, ne = {2560, 2560}.
TEST(I2S, WorkedExampleFromTheSpec) {
    const int64_t ne0 = 2560, rows = 2, n = ne0 * rows;
    std::vector<int8_t> w(static_cast<size_t>(n), 0);
    w[5] = 1;
    w[37] = 0;
    w[69] = -1;
    w[101] = 1;
    w[static_cast<size_t>(ne0 + 130)] = -1;  // row 1, column 130
    std::vector<uint8_t> data(static_cast<size_t>(n / 4 + 32), 0xEE);
    pack_i2s(w.data(), n, 0.75f, data.data());

    EXPECT_EQ(data[5], 0x92);
    EXPECT_EQ(data[4], 0x55);  // four zeros: code 1 in every bit pair
    // Row 1 starts at byte 640; column 130 sits in byte 640 + 32 + 2 = 674, bits 7:6.
    EXPECT_EQ(data[674], 0x15);
    EXPECT_EQ(i2s_value(data.data(), ne0 + 130), -1);
    EXPECT_EQ(i2s_value(data.data(), 5), 1);
    EXPECT_EQ(i2s_value(data.data(), 69), -1);
    // Tail: f32 scale at n/4, then 28 zero bytes.
    float scale;
    std::memcpy(&scale, data.data() + n / 4, 4);
    EXPECT_EQ(scale, 0.75f);
    EXPECT_EQ(i2s_scale(data.data(), n), 0.75f);
    for (int64_t i = n / 4 + 4; i < n / 4 + 32; ++i) EXPECT_EQ(data[static_cast<size_t>(i)], 0) << i;

    std::vector<float> row(static_cast<size_t>(ne0));
    dequantize_row_i2s(data.data() + 640, row.data(), ne0, 0.75f);
    EXPECT_EQ(row[130], -0.75f);
    EXPECT_EQ(row[129], 0.0f);
}

TEST(I2S, BlockBitOrder) {
    std::vector<int8_t> w(128, 0);
    for (int p = 0; p < 32; ++p) {
        w[static_cast<size_t>(p)] = 1;        // bits 7:6 -> code 2
        w[static_cast<size_t>(p + 32)] = -1;  // bits 5:4 -> code 0
        w[static_cast<size_t>(p + 96)] = 1;   // bits 1:0 -> code 2
    }
    std::vector<uint8_t> data(64);
    pack_i2s(w.data(), 128, 1.0f, data.data());
    for (int p = 0; p < 32; ++p) EXPECT_EQ(data[static_cast<size_t>(p)], 2 << 6 | 0 << 4 | 1 << 2 | 2) << p;
}

TEST(I2S, RoundTripIsExact) {
    const int64_t ne0 = 512, rows = 6, n = ne0 * rows;
    const auto w = random_ternary(n, 5);
    std::vector<uint8_t> data(static_cast<size_t>(n / 4 + 32));
    pack_i2s(w.data(), n, 0.0123f, data.data());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(i2s_value(data.data(), i), w[static_cast<size_t>(i)]) << i;
    std::vector<float> y(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
        dequantize_row_i2s(data.data() + r * ne0 / 4, y.data() + r * ne0, ne0, i2s_scale(data.data(), n));
    }
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[static_cast<size_t>(i)], 0.0123f * w[static_cast<size_t>(i)]) << i;
}

TEST(I2S, CodeThreeReadsAsZero) {
    std::vector<uint8_t> data(64, 0xFF);  // every code 3
    data[7] = 0x3F;                       // element 7 -> code 0, the rest of byte 7 still 3
    std::vector<float> y(128);
    dequantize_row_i2s(data.data(), y.data(), 128, 2.0f);
    for (int e = 0; e < 128; ++e) {
        EXPECT_EQ(y[static_cast<size_t>(e)], e == 7 ? -2.0f : 0.0f) << e;
        EXPECT_EQ(i2s_value(data.data(), e), e == 7 ? -1 : 0) << e;
    }
}

TEST(I2S, OutOfRangeValuesAreClampedNotSpilled) {
    std::vector<int8_t> w(128, 0);
    w[0] = 5;    // clamps to +1, must not touch the neighbouring bit fields
    w[32] = -7;  // clamps to -1
    std::vector<uint8_t> data(64);
    pack_i2s(w.data(), 128, 1.0f, data.data());
    EXPECT_EQ(data[0], 2 << 6 | 0 << 4 | 1 << 2 | 1);
}
