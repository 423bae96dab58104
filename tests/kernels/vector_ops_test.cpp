// f32 vector operations: agreement with the scalar reference to within float rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"

using namespace bitnet;
using test::IsaTest;

namespace {

class VectorOps : public IsaTest {};

TEST_P(VectorOps, RmsNorm) {
    Rng rng(31);
    for (int64_t n : {1, 7, 16, 100, 2560, 6912}) {
        const auto x = test::random_floats(rng, static_cast<size_t>(n), 3.0f);
        const auto w = test::random_floats(rng, static_cast<size_t>(n));
        std::vector<float> got(x.size()), want(x.size());
        isa().rms_norm(x.data(), w.data(), n, 1e-6f, got.data());
        ref().rms_norm(x.data(), w.data(), n, 1e-6f, want.data());
        for (size_t i = 0; i < x.size(); ++i)
            ASSERT_TRUE(test::near_rel(got[i], want[i], 2e-7f, 0.0f)) << "n=" << n << " i=" << i;
        std::vector<float> inplace = x;  // y may alias x
        isa().rms_norm(inplace.data(), w.data(), n, 1e-6f, inplace.data());
        for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(inplace[i], got[i]);
    }
    std::vector<float> zeros(64, 0.0f), w(64, 1.0f), y(64);
    isa().rms_norm(zeros.data(), w.data(), 64, 1e-5f, y.data());
    for (float v : y) EXPECT_EQ(v, 0.0f);
}

TEST_P(VectorOps, Softmax) {
    Rng rng(32);
    for (int64_t n : {1, 2, 15, 17, 100, 4096}) {
        for (float spread : {1.0f, 30.0f}) {
            auto x = test::random_floats(rng, static_cast<size_t>(n), spread);
            if (n > 3) x[2] = -INFINITY;  // masked position
            std::vector<float> got = x, want = x;
            isa().softmax(got.data(), n);
            ref().softmax(want.data(), n);
            for (size_t i = 0; i < x.size(); ++i) {
                ASSERT_TRUE(test::near_rel(got[i], want[i], 4e-6f, 1e-30f)) << "n=" << n << " i=" << i << " x=" << x[i];
            }
        }
    }
    std::vector<float> underflow = {0.0f, -200.0f, -90.0f, -87.0f};  // exp underflows to 0 / subnormal
    std::vector<float> want = underflow;
    isa().softmax(underflow.data(), 4);
    ref().softmax(want.data(), 4);
    for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(test::near_rel(underflow[i], want[i], 1e-5f, 1e-38f)) << i;
}

TEST_P(VectorOps, RopeNeox) {
    Rng rng(33);
    for (int head_dim : {2, 32, 64, 80, 128}) {
        const int n_heads = 5, half = head_dim / 2;
        const auto x = test::random_floats(rng, static_cast<size_t>(n_heads * head_dim));
        std::vector<float> c(static_cast<size_t>(half)), s(c.size());
        for (int i = 0; i < half; ++i) {
            const double th = 17.0 * std::pow(10000.0, -2.0 * i / head_dim);
            c[i] = static_cast<float>(std::cos(th));
            s[i] = static_cast<float>(std::sin(th));
        }
        std::vector<float> got = x, want = x;
        isa().rope_neox(got.data(), n_heads, head_dim, c.data(), s.data());
        ref().rope_neox(want.data(), n_heads, head_dim, c.data(), s.data());
        for (size_t i = 0; i < x.size(); ++i) {
            const float mag =
                std::fabs(x[i]) + std::fabs(x[i % head_dim < static_cast<size_t>(half) ? i + half : i - half]);
            ASSERT_TRUE(test::near_rel(got[i], want[i], 2e-7f, mag)) << "head_dim=" << head_dim << " i=" << i;
        }
    }
}

TEST_P(VectorOps, ReluSqrMulIsExact) {
    Rng rng(34);
    for (int64_t n : {1, 7, 16, 33, 6912}) {
        auto g = test::random_floats(rng, static_cast<size_t>(n), 4.0f);
        const auto u = test::random_floats(rng, static_cast<size_t>(n), 4.0f);
        if (n > 3) {
            g[0] = -0.0f;
            g[1] = NAN;
            g[2] = 0.0f;
        }
        std::vector<float> got = g, want = g;
        isa().relu_sqr_mul(got.data(), u.data(), n);
        ref().relu_sqr_mul(want.data(), u.data(), n);
        for (size_t i = 0; i < g.size(); ++i) {
            ASSERT_EQ(test::bits_of(got[i]), test::bits_of(want[i])) << "n=" << n << " i=" << i << " g=" << g[i];
        }
        if (n > 3) {
            EXPECT_EQ(want[1], 0.0f * u[1]);  // a NaN gate is not positive: treated as 0
        }
    }
}

TEST_P(VectorOps, F32ToF16IsExact) {
    Rng rng(35);
    std::vector<float> x;
    for (float spread : {1.0f, 1e-5f, 1e4f}) {
        const auto v = test::random_floats(rng, 333, spread);
        x.insert(x.end(), v.begin(), v.end());
    }
    // Ties, subnormal results, overflow, infinities, NaN, signed zeros.
    for (float v : {1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 65504.0f, 65519.0f, 65520.0f, 1e6f, -1e6f, 6.0e-8f,
                    2.9e-8f, 3.0e-5f, -3.0e-5f, 0.0f, -0.0f, INFINITY, -INFINITY, NAN}) {
        x.push_back(v);
    }
    for (int64_t n : {int64_t{1}, int64_t{15}, int64_t{17}, static_cast<int64_t>(x.size())}) {
        std::vector<uint16_t> got(static_cast<size_t>(n), 0xdead), want(static_cast<size_t>(n), 0xbeef);
        isa().f32_to_f16(x.data(), n, got.data());
        ref().f32_to_f16(x.data(), n, want.data());
        for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << "n=" << n << " x=" << x[i];
    }
}

}  // namespace

BITNET_INSTANTIATE_ISA_TEST(VectorOps);
