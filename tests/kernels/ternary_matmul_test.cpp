// Ternary matmul variants must reproduce the scalar reference bit for bit: exact int32 dot
// products and the same final float operations.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"

using namespace bitnet;
using test::IsaTest;

namespace {

struct Weights {
    WeightLayout layout;
    int64_t rows, cols;
    size_t stride;
    std::vector<uint8_t> data;
    std::vector<float> row_scale;

    TernaryMatrix matrix() const {
        TernaryMatrix m;
        m.layout = layout;
        m.rows = rows;
        m.cols = cols;
        m.data = data.data();
        m.row_stride = stride;
        m.row_scale = row_scale.data();
        return m;
    }
};

// value(r, k) == 2 means random; otherwise the fixed ternary value.
Weights make_weights(Rng& rng, WeightLayout layout, int64_t rows, int64_t cols, int fixed = 2) {
    Weights w{layout, rows, cols, layout_row_bytes(layout, cols), {}, {}};
    // Row stride with slack past the packed bytes in every other case, like a strided view.
    if (rows % 2 == 1) w.stride += 64;
    w.data.assign(w.stride * static_cast<size_t>(rows) + 64, 0xa5);
    for (int64_t r = 0; r < rows; ++r) {
        std::vector<int8_t> v = test::random_ternary(rng, static_cast<size_t>(cols));
        if (fixed != 2) std::fill(v.begin(), v.end(), static_cast<int8_t>(fixed));
        layout_pack_row(layout, v.data(), cols, w.data.data() + static_cast<size_t>(r) * w.stride);
        w.row_scale.push_back(0.5f + static_cast<float>(rng.uniform()));
    }
    return w;
}

struct Acts {
    size_t stride;
    std::vector<int8_t> q;
    std::vector<ActScale> scales;
};

Acts quantize(const KernelTable& table, WeightLayout layout, const std::vector<float>& x, int64_t cols,
              int64_t n_tokens) {
    Acts a;
    a.stride = static_cast<size_t>(layout_padded_k(layout, cols)) + 32;  // strided on purpose
    a.q.assign(a.stride * static_cast<size_t>(n_tokens), 0);
    a.scales.resize(static_cast<size_t>(n_tokens));
    for (int64_t t = 0; t < n_tokens; ++t) {
        table.quantize_acts(x.data() + t * cols, cols, layout, a.q.data() + static_cast<size_t>(t) * a.stride,
                            &a.scales[t]);
    }
    return a;
}

class TernaryMatmul : public IsaTest {
protected:
    // Runs both tables on rows [rb, re) and compares every output (and that nothing else is written).
    void check(const Weights& w, const Acts& a, int64_t n_tokens, int64_t rb, int64_t re) {
        const size_t out_stride = static_cast<size_t>(w.rows) + 3;
        const float sentinel = -12345.0f;
        std::vector<float> got(out_stride * static_cast<size_t>(n_tokens), sentinel), want = got;
        const TernaryMatrix m = w.matrix();
        isa().ternary_matmul(m, rb, re, a.q.data(), a.stride, a.scales.data(), n_tokens, got.data(), out_stride);
        ref().ternary_matmul(m, rb, re, a.q.data(), a.stride, a.scales.data(), n_tokens, want.data(), out_stride);
        for (size_t i = 0; i < got.size(); ++i) {
            ASSERT_EQ(test::bits_of(got[i]), test::bits_of(want[i]))
                << layout_name(w.layout) << " rows=" << w.rows << " cols=" << w.cols << " tokens=" << n_tokens
                << " range=[" << rb << "," << re << ") token " << i / out_stride << " row " << i % out_stride << ": "
                << got[i] << " vs " << want[i];
        }
    }
};

TEST_P(TernaryMatmul, RandomShapesMatchReference) {
    Rng rng(42);
    for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
        for (int64_t cols : {128, 256, 384, 640, 1280, 2560}) {
            for (int64_t rows : {1, 7, 16, 37}) {
                const Weights w = make_weights(rng, layout, rows, cols);
                for (int64_t n_tokens : {1, 2, 3, 4, 5, 9}) {
                    const auto x = test::random_floats(rng, static_cast<size_t>(cols * n_tokens));
                    const Acts a = quantize(ref(), layout, x, cols, n_tokens);
                    check(w, a, n_tokens, 0, rows);
                    if (rows > 3) check(w, a, n_tokens, 1, rows - 2);  // odd start, ragged end
                }
            }
        }
    }
}

TEST_P(TernaryMatmul, ModelShapes) {
    Rng rng(5);
    for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
        for (int64_t cols : {2560, 6912}) {
            const Weights w = make_weights(rng, layout, 45, cols);
            for (int64_t n_tokens : {1, 17}) {
                const auto x = test::random_floats(rng, static_cast<size_t>(cols * n_tokens));
                const Acts a = quantize(isa(), layout, x, cols, n_tokens);
                check(w, a, n_tokens, 0, 45);
                check(w, a, n_tokens, 16, 45);
                check(w, a, n_tokens, 3, 20);
            }
        }
    }
}

TEST_P(TernaryMatmul, OddColumnCountsForBase3) {
    Rng rng(6);
    for (int64_t cols : {1, 63, 64, 65, 319, 321, 600, 1000, 2500}) {
        const Weights w = make_weights(rng, WeightLayout::base3, 19, cols);
        for (int64_t n_tokens : {1, 2, 6, 20}) {
            const auto x = test::random_floats(rng, static_cast<size_t>(cols * n_tokens));
            Acts a = quantize(ref(), WeightLayout::base3, x, cols, n_tokens);
            // Garbage after each row's padding must not matter.
            for (int64_t t = 0; t < n_tokens; ++t) {
                for (size_t i = static_cast<size_t>(layout_padded_k(WeightLayout::base3, cols)); i < a.stride; ++i) {
                    a.q[static_cast<size_t>(t) * a.stride + i] = 77;
                }
            }
            check(w, a, n_tokens, 0, 19);
        }
    }
}

TEST_P(TernaryMatmul, ExtremeActivations) {
    Rng rng(8);
    for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
        const int64_t cols = 2560, n_tokens = 4;
        const Weights w = make_weights(rng, layout, 33, cols);
        std::vector<float> x(static_cast<size_t>(cols * n_tokens));
        for (int64_t i = 0; i < cols; ++i) x[i] = rng.below(2) ? 1.0f : -1.0f;  // all +-127
        for (int64_t i = 0; i < cols; ++i) x[cols + i] = static_cast<float>(rng.normal()) * 0.01f;
        x[cols + 77] = -1e6f;                                       // one huge outlier
        for (int64_t i = 0; i < cols; ++i) x[2 * cols + i] = 0.0f;  // all zeros
        for (int64_t i = 0; i < cols; ++i)
            x[3 * cols + i] = static_cast<float>(rng.normal()) * 1e-7f;  // under the floor
        const Acts a = quantize(isa(), layout, x, cols, n_tokens);
        check(w, a, n_tokens, 0, 33);
        check(w, a, 1, 0, 33);
    }
}

TEST_P(TernaryMatmul, WorstCaseAccumulationDoesNotOverflow) {
    // K = 6912, every weight +1 (or -1), every activation +-127: |acc| = 877,824, beyond int16 and
    // beyond what 16-bit partial sums could hold.
    Rng rng(9);
    for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
        for (int fixed : {1, -1}) {
            const int64_t cols = 6912, n_tokens = 5;
            const Weights w = make_weights(rng, layout, 21, cols, fixed);
            std::vector<float> x(static_cast<size_t>(cols * n_tokens), 1.0f);
            for (int64_t i = cols; i < 2 * cols; ++i) x[i] = -1.0f;
            const Acts a = quantize(isa(), layout, x, cols, n_tokens);
            ASSERT_EQ(a.scales[0].sum, 127 * 6912);
            check(w, a, n_tokens, 0, 21);
            check(w, a, 1, 0, 21);
            std::vector<float> out(21);
            isa().ternary_matmul(w.matrix(), 0, 21, a.q.data(), a.stride, a.scales.data(), 1, out.data(), 21);
            EXPECT_EQ(out[0], (static_cast<float>(fixed * 877824) / a.scales[0].s) * w.row_scale[0]);
        }
    }
}

TEST_P(TernaryMatmul, BlockScalesMatchReference) {
    Rng rng(10);
    for (int64_t cols : {256, 768, 2560, 6912}) {
        for (int64_t rows : {1, 9, 37}) {
            const Weights w = make_weights(rng, WeightLayout::bits2, rows, cols);
            std::vector<float> block_scale(static_cast<size_t>(rows * cols / 256));
            for (auto& s : block_scale) s = static_cast<float>(rng.uniform()) * (rng.below(2) ? 1.0f : -1.0f);
            TernaryMatrix m = w.matrix();
            m.block_scale = block_scale.data();
            for (int64_t nt : {1, 2, 5}) {
                const auto x = test::random_floats(rng, static_cast<size_t>(cols * nt));
                const Acts a = quantize(ref(), WeightLayout::bits2, x, cols, nt);
                for (int64_t rb : {int64_t{0}, rows / 3}) {
                    std::vector<float> got(static_cast<size_t>(rows * nt), -3.0f), want(got.size(), -3.0f);
                    isa().ternary_matmul(m, rb, rows, a.q.data(), a.stride, a.scales.data(), nt, got.data(), rows);
                    ref().ternary_matmul(m, rb, rows, a.q.data(), a.stride, a.scales.data(), nt, want.data(), rows);
                    for (size_t i = 0; i < got.size(); ++i) {
                        ASSERT_EQ(test::bits_of(got[i]), test::bits_of(want[i]))
                            << "cols=" << cols << " rows=" << rows << " tokens=" << nt << " i=" << i;
                    }
                }
            }
        }
    }
}

}  // namespace

BITNET_INSTANTIATE_ISA_TEST(TernaryMatmul);
