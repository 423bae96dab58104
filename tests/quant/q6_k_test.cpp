#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "core/fp16.hpp"
#include "core/rng.hpp"
#include "quant/codecs.hpp"

using namespace bitnet;

namespace {

constexpr size_t kBlockBytes = 210;

std::vector<float> gaussian(int64_t n, uint64_t seed, double sigma) {
    Rng rng(seed);
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = static_cast<float>(rng.normal() * sigma);
    return x;
}

std::vector<float> round_trip(const std::vector<float>& x) {
    const auto n = static_cast<int64_t>(x.size());
    std::vector<uint8_t> q(static_cast<size_t>(n / 256) * kBlockBytes);
    quantize_row_q6_k(x.data(), q.data(), n);
    std::vector<float> y(x.size());
    dequantize_row_q6_k(q.data(), y.data(), n);
    return y;
}

// RMS(y - x) / RMS(x).
double relative_rmse(const std::vector<float>& x, const std::vector<float>& y) {
    double e = 0.0, s = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
        e += (static_cast<double>(y[i]) - x[i]) * (static_cast<double>(y[i]) - x[i]);
        s += static_cast<double>(x[i]) * x[i];
    }
    return std::sqrt(e / s);
}

// A simple 6-bit baseline: per group of 16 a real (unquantized) scale amax/32, the largest value
// mapped to -32, round to nearest. Its error is what a "plain" 6-bit quantizer achieves.
double naive_relative_rmse(const std::vector<float>& x) {
    double e = 0.0, s = 0.0;
    for (size_t g = 0; g < x.size() / 16; ++g) {
        const float* v = x.data() + 16 * g;
        float vmax = 0.0f;
        for (int i = 0; i < 16; ++i) vmax = std::fabs(v[i]) > std::fabs(vmax) ? v[i] : vmax;
        const float scale = vmax / -32.0f;
        for (int i = 0; i < 16; ++i) {
            const double q = std::fmin(31.0, std::fmax(-32.0, std::nearbyint(v[i] / scale)));
            e += (q * scale - v[i]) * (q * scale - v[i]);
            s += static_cast<double>(v[i]) * v[i];
        }
    }
    return std::sqrt(e / s);
}

}  // namespace

TEST(Q6_K, DequantizesTheDocumentedLayout) {
    // Hand-built block: d = 0.5, scales[g] = g - 8, every quant q = (e % 64) - 32.
    std::vector<uint8_t> block(kBlockBytes, 0);
    auto q_of = [](int e) { return e % 64; };  // stored value q + 32
    for (int e = 0; e < 256; ++e) {
        const int h = e / 128, k = (e % 128) / 32, l = e % 32;
        block[static_cast<size_t>(64 * h + l + 32 * (k & 1))] |= static_cast<uint8_t>((q_of(e) & 0xF) << (4 * (k >> 1)));
        block[static_cast<size_t>(128 + 32 * h + l)] |= static_cast<uint8_t>((q_of(e) >> 4) << (2 * k));
    }
    for (int g = 0; g < 16; ++g) block[static_cast<size_t>(192 + g)] = static_cast<uint8_t>(static_cast<int8_t>(g - 8));
    const uint16_t d = f32_to_fp16(0.5f);
    block[208] = static_cast<uint8_t>(d & 0xff);
    block[209] = static_cast<uint8_t>(d >> 8);
    std::vector<float> y(256);
    dequantize_row_q6_k(block.data(), y.data(), 256);
    for (int e = 0; e < 256; ++e) {
        EXPECT_EQ(y[static_cast<size_t>(e)], 0.5f * static_cast<float>(e / 16 - 8) * static_cast<float>(q_of(e) - 32)) << e;
    }
}

TEST(Q6_K, GaussianErrorIsNearTheSixBitLimit) {
    const auto x = gaussian(256 * 2048, 11, 0.02);
    const auto y = round_trip(x);
    const double rel = relative_rmse(x, y);
    const double naive = naive_relative_rmse(x);
    std::printf("Q6_K relative RMSE on Gaussian data: %.5f (naive 6-bit with float scales: %.5f)\n", rel, naive);
    EXPECT_LT(rel, naive);
}

TEST(Q6_K, RequantizingIsStable) {
    const auto x = gaussian(256 * 256, 12, 1.0);
    const auto y = round_trip(x);
    const auto y2 = round_trip(y);
    const double first = relative_rmse(x, y);
    const double second = relative_rmse(y, y2);
    size_t same = 0;
    for (size_t i = 0; i < y.size(); ++i) same += y[i] == y2[i];
    std::printf("Q6_K requantize: first pass %.5f, second pass %.6f, identical values %.4f\n", first, second,
                static_cast<double>(same) / static_cast<double>(y.size()));
}
