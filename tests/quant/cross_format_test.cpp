// One ternary matrix stored as I2_S, TQ2_0 and TQ1_0 must read back identically.
#include <gtest/gtest.h>

#include <vector>

#include "core/fp16.hpp"
#include "core/rng.hpp"
#include "quant/codecs.hpp"
#include "quant/ternary.hpp"
#include "quant/types.hpp"

using namespace bitnet;

namespace {

struct Matrix {
    int64_t ne0, rows;
    std::vector<int8_t> values;
};

// Realistic BitNet sparsity: about one third zeros, the rest split evenly between -1 and +1.
// Row 3 is all zeros, so TQ blocks with d = 0 are covered too.
Matrix random_matrix(uint64_t seed) {
    Matrix m{2560, 8, {}};
    Rng rng(seed);
    m.values.resize(static_cast<size_t>(m.ne0 * m.rows));
    for (size_t i = 0; i < m.values.size(); ++i) {
        const double u = rng.uniform();
        m.values[i] = static_cast<int8_t>(u < 1.0 / 3.0 ? 0 : (u < 2.0 / 3.0 ? -1 : 1));
    }
    for (int64_t c = 0; c < m.ne0; ++c) m.values[static_cast<size_t>(3 * m.ne0 + c)] = 0;
    return m;
}

std::vector<float> decode_all(GgmlType type, const Matrix& m, float alpha) {
    const int64_t n = m.ne0 * m.rows;
    std::vector<uint8_t> data(*tensor_bytes(type, std::vector<int64_t>{m.ne0, m.rows}));
    switch (type) {
        case GgmlType::I2_S:
            pack_i2s(m.values.data(), n, alpha, data.data());
            break;
        case GgmlType::TQ2_0:
            pack_tq2_0(m.values.data(), n, alpha, data.data());
            break;
        case GgmlType::TQ1_0:
            pack_tq1_0(m.values.data(), n, alpha, data.data());
            break;
        default:
            ADD_FAILURE() << "not ternary";
    }
    std::vector<float> out(static_cast<size_t>(n));
    dequantize_rows(type, data.data(), m.ne0, n, 0, m.rows, out.data());
    return out;
}

}  // namespace

TEST(CrossFormat, SameTernaryMatrixDequantizesIdentically) {
    const Matrix m = random_matrix(42);
    const float alpha = 0.0234375f;  // 3/128: exact in f16, so the TQ block scales carry it unchanged
    const auto i2s = decode_all(GgmlType::I2_S, m, alpha);
    const auto tq2 = decode_all(GgmlType::TQ2_0, m, alpha);
    const auto tq1 = decode_all(GgmlType::TQ1_0, m, alpha);
    size_t zeros = 0;
    for (size_t i = 0; i < m.values.size(); ++i) {
        const float want = alpha * m.values[i];
        ASSERT_EQ(i2s[i], want) << i;
        ASSERT_EQ(tq2[i], want) << i;
        ASSERT_EQ(tq1[i], want) << i;
        zeros += m.values[i] == 0;
    }
    EXPECT_GT(zeros, m.values.size() / 4);
}

TEST(CrossFormat, TqStoresAlphaRoundedToF16) {
    const Matrix m = random_matrix(43);
    const float alpha = 0.0123456f;  // not representable in f16
    const float alpha16 = fp16_to_f32(f32_to_fp16(alpha));
    ASSERT_NE(alpha16, alpha);
    const auto i2s = decode_all(GgmlType::I2_S, m, alpha);
    const auto tq2 = decode_all(GgmlType::TQ2_0, m, alpha);
    const auto tq1 = decode_all(GgmlType::TQ1_0, m, alpha);
    for (size_t i = 0; i < m.values.size(); ++i) {
        ASSERT_EQ(i2s[i], alpha * m.values[i]) << i;
        ASSERT_EQ(tq2[i], alpha16 * m.values[i]) << i;
        ASSERT_EQ(tq1[i], alpha16 * m.values[i]) << i;
    }
}

TEST(CrossFormat, RowQuantizersAgreeWithPackersAfterTernarization) {
    // Float weights -> absmean ternary -> alpha * T as floats -> each format's row quantizer.
    Rng rng(44);
    const int64_t ne0 = 512, rows = 4, n = ne0 * rows;
    std::vector<float> w(static_cast<size_t>(n));
    for (float& v : w) v = static_cast<float>(rng.normal() * 0.03);
    const TernaryTensor t = ternarize_absmean(w.data(), n);
    const float alpha16 = fp16_to_f32(f32_to_fp16(t.scale));
    std::vector<float> x(static_cast<size_t>(n));
    for (size_t i = 0; i < x.size(); ++i) x[i] = t.scale * t.values[i];

    for (GgmlType type : {GgmlType::TQ1_0, GgmlType::TQ2_0}) {
        const TypeTraits& tr = type_traits(type);
        std::vector<uint8_t> via_rows(*tensor_bytes(type, std::vector<int64_t>{ne0, rows}));
        std::vector<uint8_t> via_pack(via_rows.size());
        for (int64_t r = 0; r < rows; ++r)
            tr.quantize_row(x.data() + r * ne0, via_rows.data() + r * row_bytes(type, ne0), ne0);
        if (type == GgmlType::TQ1_0)
            pack_tq1_0(t.values.data(), n, t.scale, via_pack.data());
        else
            pack_tq2_0(t.values.data(), n, t.scale, via_pack.data());
        EXPECT_EQ(via_rows, via_pack) << tr.name;
        std::vector<float> y(static_cast<size_t>(n));
        dequantize_rows(type, via_rows.data(), ne0, n, 0, rows, y.data());
        for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], alpha16 * t.values[i]) << tr.name << " " << i;
    }
}
