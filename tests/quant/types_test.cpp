#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "quant/ternary.hpp"
#include "quant/types.hpp"

using namespace bitnet;

namespace {
std::optional<size_t> bytes_of(GgmlType t, std::vector<int64_t> ne) { return tensor_bytes(t, ne); }
}  // namespace

TEST(Types, FindsKnownIdsAndRejectsUnknown) {
    const uint32_t known[] = {0, 1, 8, 14, 30, 34, 35, 36, 134, 135};
    for (uint32_t id : known) {
        const TypeTraits* t = find_type(id);
        ASSERT_NE(t, nullptr) << id;
        EXPECT_EQ(static_cast<uint32_t>(t->type), id);
    }
    for (uint32_t id : {2u, 7u, 15u, 37u, 38u, 39u, 136u, 335u, 1000u, 0xffffffffu}) {
        EXPECT_EQ(find_type(id), nullptr) << id;
    }
}

TEST(Types, Geometry) {
    EXPECT_EQ(type_traits(GgmlType::Q8_0).block_size, 32);
    EXPECT_EQ(type_traits(GgmlType::Q8_0).block_bytes, 34u);
    EXPECT_EQ(type_traits(GgmlType::Q6_K).block_bytes, 210u);
    EXPECT_EQ(type_traits(GgmlType::TQ1_0).block_bytes, 54u);
    EXPECT_EQ(type_traits(GgmlType::TQ2_0).block_bytes, 66u);
    EXPECT_EQ(type_traits(GgmlType::I2_S).block_size, 128);
    EXPECT_TRUE(type_traits(GgmlType::I2_S).ternary);
    EXPECT_TRUE(type_traits(GgmlType::TQ1_0).ternary);
    EXPECT_FALSE(type_traits(GgmlType::Q6_K).ternary);
    // ik_llama.cpp's per-row scale in front of every row.
    EXPECT_EQ(row_bytes(GgmlType::IQ2_BN, 128), 4u + 32u);
    EXPECT_EQ(row_bytes(GgmlType::IQ1_BN, 128), 2u + 26u);
    EXPECT_EQ(*bytes_of(GgmlType::IQ2_BN, {128, 3}), 108u);
    EXPECT_EQ(*bytes_of(GgmlType::IQ1_BN, {128, 3, 2}), 168u);
    EXPECT_FALSE(bytes_of(GgmlType::IQ2_BN, {96, 3}));
}

TEST(Types, ParsesNames) {
    EXPECT_EQ(parse_type_name("i2_s"), GgmlType::I2_S);
    EXPECT_EQ(parse_type_name("TQ2_0"), GgmlType::TQ2_0);
    EXPECT_EQ(parse_type_name("Q6_K"), GgmlType::Q6_K);
    EXPECT_EQ(parse_type_name("bf16"), GgmlType::BF16);
    EXPECT_FALSE(parse_type_name("q4_0").has_value());
    EXPECT_FALSE(parse_type_name("").has_value());
    EXPECT_STREQ(type_name(GgmlType::TQ1_0), "tq1_0");
    EXPECT_NE(known_type_names().find("i2_s (36)"), std::string::npos);
}

TEST(Types, RowBytes) {
    EXPECT_EQ(row_bytes(GgmlType::F32, 7), 28u);
    EXPECT_EQ(row_bytes(GgmlType::F16, 2560), 5120u);
    EXPECT_EQ(row_bytes(GgmlType::Q8_0, 2560), 80u * 34u);
    EXPECT_EQ(row_bytes(GgmlType::Q6_K, 2560), 10u * 210u);
    EXPECT_EQ(row_bytes(GgmlType::TQ1_0, 2560), 10u * 54u);
    EXPECT_EQ(row_bytes(GgmlType::TQ2_0, 6912), 27u * 66u);
    EXPECT_EQ(row_bytes(GgmlType::I2_S, 2560), 640u);
}

TEST(Types, TensorBytesI2sRule) {
    EXPECT_EQ(bytes_of(GgmlType::I2_S, {2560, 2560}), 1638432u);
    EXPECT_EQ(bytes_of(GgmlType::I2_S, {6912, 2560}), 4423712u);
    EXPECT_EQ(bytes_of(GgmlType::I2_S, {2560, 640}), 409632u);
    EXPECT_EQ(bytes_of(GgmlType::I2_S, {128}), 64u);
    EXPECT_EQ(bytes_of(GgmlType::I2_S, {2560, 2, 3, 1}), 2560u * 6u / 4u + 32u);
}

TEST(Types, TensorBytesBlockTypes) {
    EXPECT_EQ(bytes_of(GgmlType::F32, {2560}), 10240u);
    EXPECT_EQ(bytes_of(GgmlType::F16, {2560, 128256}), 2560ull * 128256ull * 2ull);
    EXPECT_EQ(bytes_of(GgmlType::Q6_K, {2560, 128256}), 10ull * 210ull * 128256ull);
    EXPECT_EQ(bytes_of(GgmlType::Q8_0, {64, 3}), 2u * 34u * 3u);
    EXPECT_EQ(bytes_of(GgmlType::TQ2_0, {256, 2}), 132u);
}

TEST(Types, TensorBytesRejectsBadShapes) {
    EXPECT_FALSE(bytes_of(GgmlType::Q8_0, {33}).has_value());
    EXPECT_FALSE(bytes_of(GgmlType::Q6_K, {128, 4}).has_value());
    EXPECT_FALSE(bytes_of(GgmlType::TQ1_0, {3200}).has_value());
    EXPECT_FALSE(bytes_of(GgmlType::I2_S, {64, 2}).has_value());  // 128 elements, but ne0 % 128 != 0
    EXPECT_FALSE(bytes_of(GgmlType::F32, {}).has_value());
    EXPECT_FALSE(bytes_of(GgmlType::F32, {0}).has_value());
    EXPECT_FALSE(bytes_of(GgmlType::F32, {4, -1}).has_value());
    EXPECT_FALSE(tensor_bytes(static_cast<GgmlType>(2), std::vector<int64_t>{32}).has_value());
}

TEST(Types, TensorBytesOverflowIsNullopt) {
    const int64_t big = int64_t{1} << 40;
    EXPECT_FALSE(bytes_of(GgmlType::F32, {big, big}).has_value());             // element count overflows
    EXPECT_FALSE(bytes_of(GgmlType::F32, {int64_t{1} << 62, 2}).has_value());  // elements fit, bytes do not
    EXPECT_FALSE(bytes_of(GgmlType::F32, {int64_t{1} << 61}).has_value());     // 2^63 bytes: over int64
    EXPECT_FALSE(bytes_of(GgmlType::I2_S, {big * 128, big}).has_value());
    EXPECT_EQ(bytes_of(GgmlType::F32, {int64_t{1} << 20, int64_t{1} << 20}), size_t{1} << 42);
}

TEST(Types, DequantizeRowsI2sReadsTheScaleFromTheTail) {
    const int64_t ne0 = 256, rows = 3, n = ne0 * rows;
    std::vector<int8_t> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<int8_t>((i * 7 + i / 5) % 3 - 1);
    std::vector<uint8_t> data(static_cast<size_t>(n / 4 + 32));
    pack_i2s(v.data(), n, 0.375f, data.data());

    std::vector<float> out(static_cast<size_t>(2 * ne0), -99.0f);
    dequantize_rows(GgmlType::I2_S, data.data(), ne0, n, 1, 2, out.data());
    for (int64_t i = 0; i < 2 * ne0; ++i) {
        ASSERT_EQ(out[static_cast<size_t>(i)], 0.375f * v[static_cast<size_t>(ne0 + i)]) << i;
    }
}

TEST(Types, DequantizeRowsBlockType) {
    const int64_t ne0 = 64, rows = 4;
    std::vector<float> x(static_cast<size_t>(ne0 * rows));
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 17) - 8) * 0.25f;
    std::vector<uint8_t> data(*tensor_bytes(GgmlType::F16, std::vector<int64_t>{ne0, rows}));
    for (int64_t r = 0; r < rows; ++r) {
        type_traits(GgmlType::F16)
            .quantize_row(x.data() + r * ne0, data.data() + r * row_bytes(GgmlType::F16, ne0), ne0);
    }
    std::vector<float> out(static_cast<size_t>(ne0 * 2));
    dequantize_rows(GgmlType::F16, data.data(), ne0, ne0 * rows, 2, 2, out.data());
    for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], x[static_cast<size_t>(2 * ne0) + i]);
}
