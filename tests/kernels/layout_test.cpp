#include <gtest/gtest.h>

#include <vector>

#include "core/rng.hpp"
#include "kernel_test_util.hpp"
#include "kernels/layout.hpp"

using namespace bitnet;

TEST(Layout, PackedCodesReadBack) {
    Rng rng(1);
    for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
        for (int64_t k : {128, 256, 384, 640, 2560}) {
            const auto values = test::random_ternary(rng, static_cast<size_t>(k));
            std::vector<uint8_t> row(layout_row_bytes(layout, k));
            layout_pack_row(layout, values.data(), k, row.data());
            for (int64_t i = 0; i < k; ++i) {
                ASSERT_EQ(layout_get_code(layout, row.data(), i), values[static_cast<size_t>(i)] + 1)
                    << layout_name(layout) << " k=" << k << " i=" << i;
            }
            for (int64_t i = k; i < layout_padded_k(layout, k); ++i)
                ASSERT_EQ(layout_get_code(layout, row.data(), i), 1);
        }
    }
}

TEST(Layout, RowSizes) {
    EXPECT_EQ(layout_row_bytes(WeightLayout::bits2, 2560), 640u);
    EXPECT_EQ(layout_row_bytes(WeightLayout::base3, 2560), 512u);
    EXPECT_EQ(layout_padded_k(WeightLayout::base3, 6912), 7040);
    EXPECT_EQ(layout_row_bytes(WeightLayout::base3, 6912), 1408u);
}

TEST(Layout, ActivationOrderIsAPermutation) {
    for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
        for (int64_t k : {128, 384, 2560}) {
            std::vector<int> seen(static_cast<size_t>(layout_padded_k(layout, k)), 0);
            for (int64_t i = 0; i < k; ++i) {
                const int64_t j = layout_act_index(layout, k, i);
                ASSERT_GE(j, 0);
                ASSERT_LT(j, static_cast<int64_t>(seen.size()));
                ++seen[static_cast<size_t>(j)];
            }
            for (int64_t j = 0; j < k; ++j) EXPECT_EQ(seen[static_cast<size_t>(j)], 1);
        }
    }
}
