#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/fp16.hpp"
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

std::vector<float> scaled(const std::vector<int8_t>& v, float alpha) {
    std::vector<float> x(v.size());
    for (size_t i = 0; i < v.size(); ++i) x[i] = alpha * v[i];
    return x;
}

// Digit n (0 = most significant) of a TQ1_0 byte, the way the spec reads it.
int tq1_digit(uint8_t b, int n) {
    static const int pow3[5] = {1, 3, 9, 27, 81};
    const auto t = static_cast<uint8_t>(b * pow3[n]);
    return (t * 3) >> 8;
}

}  // namespace

TEST(TQ2_0, BlockLayout) {
    std::vector<int8_t> v(256, 0);
    v[0] = 1;         // byte 0, bits 1:0
    v[32] = -1;       // byte 0, bits 3:2
    v[96] = 1;        // byte 0, bits 7:6
    v[128 + 5] = -1;  // byte 37, bits 1:0
    v[255] = 1;       // byte 63, bits 7:6
    std::vector<uint8_t> b(66);
    pack_tq2_0(v.data(), 256, 0.5f, b.data());
    EXPECT_EQ(b[0], 2 | 0 << 2 | 1 << 4 | 2 << 6);
    EXPECT_EQ(b[37], 0 | 1 << 2 | 1 << 4 | 1 << 6);
    EXPECT_EQ(b[63], 1 | 1 << 2 | 1 << 4 | 2 << 6);
    EXPECT_EQ(b[1], 0x55);
    EXPECT_EQ(b[64] | b[65] << 8, 0x3800);  // f16 0.5
}

TEST(TQ2_0, QuantizeRowMatchesPackAndRoundTrips) {
    const auto v = random_ternary(1024, 1);
    const float alpha = 0.0390625f;  // exactly representable in f16
    const auto x = scaled(v, alpha);
    std::vector<uint8_t> a(4 * 66), b(4 * 66);
    quantize_row_tq2_0(x.data(), a.data(), 1024);
    pack_tq2_0(v.data(), 1024, alpha, b.data());
    EXPECT_EQ(a, b);
    std::vector<float> y(1024);
    dequantize_row_tq2_0(a.data(), y.data(), 1024);
    EXPECT_EQ(y, x);
    std::vector<int8_t> back(1024);
    float scales[4];
    unpack_tq2_0(a.data(), 1024, back.data(), scales);
    EXPECT_EQ(back, v);
    for (float s : scales) EXPECT_EQ(s, alpha);
}

TEST(TQ2_0, QuantizesGeneralFloatsWithBlockAmax) {
    std::vector<float> x(256, 0.0f);
    x[0] = -2.0f;   // amax: d = 2
    x[1] = 1.0f;    // x/d = 0.5: a tie, rounds to even -> 0
    x[2] = 1.01f;   // -> +1
    x[3] = -0.99f;  // -> 0
    x[4] = 1.5f;    // -> +1
    std::vector<uint8_t> b(66);
    quantize_row_tq2_0(x.data(), b.data(), 256);
    std::vector<float> y(256);
    dequantize_row_tq2_0(b.data(), y.data(), 256);
    EXPECT_EQ(y[0], -2.0f);
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_EQ(y[2], 2.0f);
    EXPECT_EQ(y[3], 0.0f);
    EXPECT_EQ(y[4], 2.0f);
    EXPECT_EQ(y[5], 0.0f);
}

TEST(TQ2_0, ZeroBlockAndCodeThree) {
    std::vector<int8_t> v(512, 0);
    v[300] = 1;
    std::vector<uint8_t> b(132);
    pack_tq2_0(v.data(), 512, 0.25f, b.data());
    EXPECT_EQ(b[64] | b[65] << 8, 0);  // all-zero block gets d = 0
    EXPECT_EQ(fp16_to_f32(static_cast<uint16_t>(b[130] | b[131] << 8)), 0.25f);
    b[0] = 0xFF;  // code 3 everywhere in byte 0 of block 0 (never written by an encoder)
    b[66] = 0xFF;
    std::vector<int8_t> back(512);
    float scales[2];
    unpack_tq2_0(b.data(), 512, back.data(), scales);
    EXPECT_EQ(back[256], 0);
    EXPECT_EQ(back[256 + 96], 0);
    std::vector<float> y(512);
    dequantize_row_tq2_0(b.data(), y.data(), 512);
    EXPECT_EQ(y[256], 0.5f);  // ggml's (code - 1) * d
}

TEST(TQ1_0, DigitPackingOfEveryFiveDigitGroup) {
    // Every group of five codes, placed at the elements byte qs[3] holds, survives the byte.
    for (int v = 0; v < 243; ++v) {
        std::vector<int8_t> t(256, 0);
        int rest = v;
        for (int n = 4; n >= 0; --n) {
            t[static_cast<size_t>(3 + 32 * n)] = static_cast<int8_t>(rest % 3 - 1);
            rest /= 3;
        }
        std::vector<uint8_t> b(54);
        pack_tq1_0(t.data(), 256, 1.0f, b.data());
        ASSERT_EQ(b[3], (v * 256 + 242) / 243) << v;  // ceil(v * 256 / 243)
        for (int n = 0; n < 5; ++n) ASSERT_EQ(tq1_digit(b[3], n) - 1, t[static_cast<size_t>(3 + 32 * n)]) << v;
        std::vector<int8_t> back(256);
        float d;
        unpack_tq1_0(b.data(), 256, back.data(), &d);
        ASSERT_EQ(back, t) << v;
    }
}

TEST(TQ1_0, ElementOrder) {
    std::vector<int8_t> t(256, 0);
    t[1 + 32 * 4] = 1;         // qs[1], digit 4
    t[160 + 2 + 16 * 0] = -1;  // qs[34], digit 0
    t[240 + 3 + 4 * 3] = 1;    // qh[3], digit 3
    t[240 + 0 + 4 * 0] = -1;   // qh[0], digit 0
    std::vector<uint8_t> b(54);
    pack_tq1_0(t.data(), 256, 2.0f, b.data());
    EXPECT_EQ(b[1], 129);  // codes 1,1,1,1,2: v = 122, ceil(122 * 256 / 243) = 129
    EXPECT_EQ(tq1_digit(b[1], 4), 2);
    EXPECT_EQ(tq1_digit(b[34], 0), 0);
    EXPECT_EQ(tq1_digit(b[51], 3), 2);
    EXPECT_EQ(tq1_digit(b[51], 4), 0);  // qh digits are shifted up; digit 4 reads 0
    EXPECT_EQ(tq1_digit(b[48], 0), 0);
    EXPECT_EQ(b[0], (121 * 256 + 242) / 243);  // all zeros: 11111 in base 3
    EXPECT_EQ(b[52] | b[53] << 8, 0x4000);     // f16 2.0
    std::vector<float> y(256);
    dequantize_row_tq1_0(b.data(), y.data(), 256);
    for (int e = 0; e < 256; ++e) EXPECT_EQ(y[static_cast<size_t>(e)], 2.0f * t[static_cast<size_t>(e)]) << e;
}

TEST(TQ1_0, AnyByteDecodesToValidDigits) {
    // Corrupt or foreign files cannot produce codes outside {0, 1, 2}.
    std::vector<uint8_t> b(54);
    for (int v = 0; v < 256; ++v) {
        for (size_t i = 0; i < 52; ++i) b[i] = static_cast<uint8_t>(v);
        std::vector<int8_t> back(256);
        float d;
        unpack_tq1_0(b.data(), 256, back.data(), &d);
        for (int8_t t : back) ASSERT_TRUE(t >= -1 && t <= 1) << v;
    }
}

TEST(TQ1_0, QuantizeRowMatchesPackAndRoundTrips) {
    const auto v = random_ternary(2560, 3);
    const float alpha = 1.5f;
    const auto x = scaled(v, alpha);
    std::vector<uint8_t> a(10 * 54), b(10 * 54);
    quantize_row_tq1_0(x.data(), a.data(), 2560);
    pack_tq1_0(v.data(), 2560, alpha, b.data());
    EXPECT_EQ(a, b);
    std::vector<float> y(2560);
    dequantize_row_tq1_0(a.data(), y.data(), 2560);
    EXPECT_EQ(y, x);
}
