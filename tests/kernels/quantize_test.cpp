// Activation quantizers must match the scalar reference bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"

using namespace bitnet;
using test::IsaTest;

namespace {

class QuantizeActs : public IsaTest {
protected:
    void check(const std::vector<float>& x, WeightLayout layout) {
        const int64_t k = static_cast<int64_t>(x.size());
        const size_t padded = static_cast<size_t>(layout_padded_k(layout, k));
        // Garbage beyond the row: both must write exactly `padded` bytes.
        std::vector<int8_t> qa(padded + 64, 0x55), qb(padded + 64, 0x55);
        ActScale sa, sb;
        isa().quantize_acts(x.data(), k, layout, qa.data(), &sa);
        ref().quantize_acts(x.data(), k, layout, qb.data(), &sb);
        ASSERT_EQ(test::bits_of(sa.s), test::bits_of(sb.s)) << layout_name(layout) << " k=" << k;
        ASSERT_EQ(sa.sum, sb.sum) << layout_name(layout) << " k=" << k;
        for (size_t i = 0; i < qa.size(); ++i)
            ASSERT_EQ(qa[i], qb[i]) << layout_name(layout) << " k=" << k << " i=" << i;
    }
};

TEST_P(QuantizeActs, RandomRows) {
    Rng rng(7);
    for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
        for (int64_t k : {128, 256, 384, 640, 2560, 6912})
            check(test::random_floats(rng, static_cast<size_t>(k), 3.0f), layout);
    }
    for (int64_t k : {1, 5, 17, 33, 319, 321, 1000})
        check(test::random_floats(rng, static_cast<size_t>(k)), WeightLayout::base3);
}

TEST_P(QuantizeActs, RoundsHalfToEven) {
    // amax = 127 gives s = 1, so x.5 values are exact ties.
    std::vector<float> x(256);
    for (size_t i = 0; i < x.size(); ++i) x[i] = (static_cast<float>(i % 100) - 50.0f) + 0.5f;
    x[3] = 127.0f;
    x[4] = -126.5f;
    for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) check(x, layout);
}

TEST_P(QuantizeActs, ExtremeRows) {
    Rng rng(11);
    for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
        std::vector<float> x(2560);
        for (auto& v : x) v = rng.below(2) ? 1.0f : -1.0f;  // all +-127 after quantization
        check(x, layout);
        x = test::random_floats(rng, 2560, 0.01f);
        x[1234] = 1e6f;  // one huge outlier: everything else rounds to 0
        check(x, layout);
        std::fill(x.begin(), x.end(), 0.0f);  // all zeros: the 1e-5 floor
        check(x, layout);
        for (auto& v : x) v = static_cast<float>(rng.normal()) * 1e-7f;  // below the floor
        check(x, layout);
    }
}

TEST_P(QuantizeActs, Q8_0MatchesReference) {
    Rng rng(3);
    for (int64_t k : {32, 64, 2560, 4096}) {
        auto x = test::random_floats(rng, static_cast<size_t>(k), 2.0f);
        if (k == 64) {
            for (int i = 0; i < 64; ++i) x[i] = static_cast<float>(i % 9) - 4.5f;  // ties away from zero
            x[0] = 127.0f;
            x[32] = -127.0f;
            for (int i = 33; i < 40; ++i) x[i] = 0.0f;
        }
        if (k == 2560) std::fill(x.begin(), x.begin() + 32, 0.0f);  // zero block
        std::vector<BlockQ8_0> a(static_cast<size_t>(k / 32)), b(a.size());
        isa().quantize_q8_0(x.data(), k, a.data());
        ref().quantize_q8_0(x.data(), k, b.data());
        for (size_t i = 0; i < a.size(); ++i) {
            ASSERT_EQ(a[i].d, b[i].d) << "block " << i;
            for (int j = 0; j < 32; ++j) ASSERT_EQ(a[i].qs[j], b[i].qs[j]) << "block " << i << " j " << j;
        }
    }
}

TEST_P(QuantizeActs, Q8_KMatchesReference) {
    Rng rng(4);
    for (int64_t k : {256, 2560, 6912}) {
        auto x = test::random_floats(rng, static_cast<size_t>(k), 5.0f);
        if (k == 2560) {
            std::fill(x.begin(), x.begin() + 256, 0.0f);                               // zero block
            for (int i = 256; i < 512; ++i) x[i] = static_cast<float>(i % 11) - 5.5f;  // RNE ties with max = -127
            x[300] = -127.0f;
            x[301] = 127.0f;  // same magnitude later: the first one wins
        }
        std::vector<BlockQ8_K> a(static_cast<size_t>(k / 256)), b(a.size());
        isa().quantize_q8_k(x.data(), k, a.data());
        ref().quantize_q8_k(x.data(), k, b.data());
        for (size_t i = 0; i < a.size(); ++i) {
            ASSERT_EQ(test::bits_of(a[i].d), test::bits_of(b[i].d)) << "block " << i;
            for (int j = 0; j < 256; ++j) ASSERT_EQ(a[i].qs[j], b[i].qs[j]) << "block " << i << " j " << j;
            for (int j = 0; j < 16; ++j) ASSERT_EQ(a[i].bsums[j], b[i].bsums[j]) << "block " << i << " j " << j;
        }
    }
}

}  // namespace

BITNET_INSTANTIATE_ISA_TEST(QuantizeActs);
