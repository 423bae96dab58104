// GQA attention with f16 and f32 KV: agreement with the scalar reference to within rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/fp16.hpp"
#include "kernel_test_util.hpp"

using namespace bitnet;
using test::IsaTest;

namespace {

class Attention : public IsaTest {};

TEST_P(Attention, MatchesReference) {
    Rng rng(41);
    for (int head_dim : {40, 64, 80, 128}) {
        for (int n_q : {1, 4, 5}) {
            for (int64_t n_pos : {1, 7, 16, 33, 300}) {
                for (bool f16 : {true, false}) {
                    const size_t kv_stride =
                        static_cast<size_t>(head_dim) * 5;  // this head's rows inside a 5-head cache
                    const size_t n = static_cast<size_t>(n_pos) * kv_stride;
                    const auto q = test::random_floats(rng, static_cast<size_t>(n_q * head_dim));
                    const auto k32 = test::random_floats(rng, n), v32 = test::random_floats(rng, n);
                    std::vector<uint16_t> k16(n), v16(n);
                    for (size_t i = 0; i < n; ++i) {
                        k16[i] = f32_to_fp16(k32[i]);
                        v16[i] = f32_to_fp16(v32[i]);
                    }
                    const void* k = f16 ? static_cast<const void*>(k16.data()) : k32.data();
                    const void* v = f16 ? static_cast<const void*>(v16.data()) : v32.data();
                    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
                    std::vector<float> got(static_cast<size_t>(n_q * head_dim)), want(got.size());
                    std::vector<float> scratch(static_cast<size_t>(n_q * n_pos));
                    isa().attention(q.data(), n_q, head_dim, k, v, f16, kv_stride, n_pos, scale, got.data(),
                                    scratch.data());
                    ref().attention(q.data(), n_q, head_dim, k, v, f16, kv_stride, n_pos, scale, want.data(),
                                    scratch.data());
                    for (size_t i = 0; i < got.size(); ++i) {
                        // Outputs are convex combinations of V entries (|v| ~ 1): absolute scale ~1.
                        ASSERT_TRUE(test::near_rel(got[i], want[i], 2e-5f, 1.0f))
                            << "head_dim=" << head_dim << " n_q=" << n_q << " n_pos=" << n_pos << " f16=" << f16
                            << " i=" << i;
                    }
                }
            }
        }
    }
}

}  // namespace

BITNET_INSTANTIATE_ISA_TEST(Attention);
