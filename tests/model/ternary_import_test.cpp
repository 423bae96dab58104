#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "core/fp16.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "kernels/layout.hpp"
#include "model/ternary_import.hpp"
#include "quant/ternary.hpp"

using namespace bitnet;

namespace {

constexpr int64_t kCols = 512, kRows = 24;

std::vector<int8_t> random_values(uint64_t seed) {
    Rng rng(seed);
    std::vector<int8_t> v(static_cast<size_t>(kCols * kRows));
    for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(rng.below(3)) - 1);
    return v;
}

std::vector<int8_t> values_of(const TernaryImport& t, const uint8_t* in_place) {
    const uint8_t* base = t.packed.size() ? t.packed.data() : in_place;
    std::vector<int8_t> v(static_cast<size_t>(kCols * kRows));
    for (int64_t r = 0; r < kRows; ++r) {
        for (int64_t k = 0; k < kCols; ++k) {
            v[static_cast<size_t>(r * kCols + k)] =
                static_cast<int8_t>(layout_get_code(t.layout, base + r * t.row_stride, k) - 1);
        }
    }
    return v;
}

class ImportTest : public ::testing::Test {
protected:
    // The file image is placed `shift` bytes past a cache line; with 64-byte GGUF alignment the
    // tensor then starts on a cache line exactly when shift is 0.
    TernaryImport run(GgmlType type, const std::vector<uint8_t>& data, WeightLayout layout, bool in_place = false,
                      size_t shift = 0) {
        GgufWriter w;
        w.set_alignment(64);
        w.add_tensor_copy("w", type, {kCols, kRows}, data.data());
        const std::vector<uint8_t> bytes = w.to_bytes();
        image_.reset(bytes.size() + shift);
        std::memcpy(image_.data() + shift, bytes.data(), bytes.size());
        file_ = std::make_unique<GgufFile>(GgufFile::parse(image_.data() + shift, bytes.size(), "t.gguf"));
        return import_ternary(file_->tensor("w"), "t.gguf", layout, in_place, pool_);
    }
    const uint8_t* data() const { return file_->tensor("w").data; }

    ThreadPool pool_{2};
    AlignedBuffer<uint8_t> image_;
    std::unique_ptr<GgufFile> file_;
};

}  // namespace

TEST_F(ImportTest, I2sIsCopiedToAlignedMemoryOrUsedInPlace) {
    const auto v = random_values(1);
    std::vector<uint8_t> d(static_cast<size_t>(kCols * kRows / 4 + 32));
    pack_i2s(v.data(), kCols * kRows, 0.25f, d.data());
    for (const bool in_place : {false, true}) {
        for (const size_t shift : {size_t{0}, size_t{32}}) {
            SCOPED_TRACE(::testing::Message() << "in_place " << in_place << " shift " << shift);
            const TernaryImport t = run(GgmlType::I2_S, d, WeightLayout::bits2, in_place, shift);
            // In place only when asked and the rows start on a cache line; a copy is aligned.
            if (in_place && shift == 0) {
                EXPECT_EQ(t.packed.size(), 0u);
            } else {
                ASSERT_GE(t.packed.size(), static_cast<size_t>(kCols * kRows / 4));
                EXPECT_EQ(reinterpret_cast<uintptr_t>(t.packed.data()) % 64, 0u);
            }
            EXPECT_EQ(t.row_stride, static_cast<size_t>(kCols / 4));
            EXPECT_EQ(t.row_scale, std::vector<float>(kRows, 0.25f));
            EXPECT_EQ(values_of(t, data()), v);
        }
    }
}

TEST_F(ImportTest, EveryFormatToEveryLayoutKeepsTheValues) {
    const auto v = random_values(2);
    const int64_t n = kCols * kRows;
    std::vector<uint8_t> i2s(static_cast<size_t>(n / 4 + 32)), tq2(static_cast<size_t>(n / 256 * 66)),
        tq1(static_cast<size_t>(n / 256 * 54)), f16(static_cast<size_t>(n * 2));
    pack_i2s(v.data(), n, 0.5f, i2s.data());
    pack_tq2_0(v.data(), n, 0.5f, tq2.data());
    pack_tq1_0(v.data(), n, 0.5f, tq1.data());
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_fp16(0.5f * v[static_cast<size_t>(i)]);
        std::memcpy(f16.data() + 2 * i, &h, 2);
    }
    const std::pair<GgmlType, const std::vector<uint8_t>*> inputs[] = {
        {GgmlType::I2_S, &i2s}, {GgmlType::TQ2_0, &tq2}, {GgmlType::TQ1_0, &tq1}, {GgmlType::F16, &f16}};
    for (const auto& [type, bytes] : inputs) {
        for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
            const TernaryImport t = run(type, *bytes, layout);
            EXPECT_EQ(t.layout, layout);
            EXPECT_TRUE(t.block_scale.empty());
            EXPECT_EQ(t.row_scale, std::vector<float>(kRows, 0.5f)) << type_name(type);
            EXPECT_EQ(values_of(t, data()), v) << type_name(type) << " -> " << layout_name(layout);
        }
    }
}

TEST_F(ImportTest, TqBlocksWithDifferentScalesKeepPerBlockScales) {
    const auto v = random_values(3);
    const int64_t n = kCols * kRows;
    std::vector<uint8_t> tq2(static_cast<size_t>(n / 256 * 66));
    pack_tq2_0(v.data(), n, 0.5f, tq2.data());
    const uint16_t other = f32_to_fp16(0.75f);
    std::memcpy(tq2.data() + 66 + 64, &other, 2);  // second block of row 0
    const TernaryImport t = run(GgmlType::TQ2_0, tq2, WeightLayout::base3);
    EXPECT_EQ(t.layout, WeightLayout::bits2);
    ASSERT_EQ(t.block_scale.size(), static_cast<size_t>(n / 256));
    EXPECT_EQ(t.block_scale[0], 0.5f);
    EXPECT_EQ(t.block_scale[1], 0.75f);
    EXPECT_EQ(values_of(t, data()), v);
}

TEST_F(ImportTest, NonTernaryFloatsAreTernarizedWithAbsmean) {
    Rng rng(4);
    std::vector<float> w(static_cast<size_t>(kCols * kRows));
    for (auto& x : w) x = static_cast<float>(rng.normal());
    std::vector<uint8_t> d(w.size() * 4);
    std::memcpy(d.data(), w.data(), d.size());
    const TernaryImport t = run(GgmlType::F32, d, WeightLayout::bits2);
    const TernaryTensor want = ternarize_absmean(w.data(), static_cast<int64_t>(w.size()));
    EXPECT_EQ(t.row_scale, std::vector<float>(kRows, want.scale));
    EXPECT_EQ(values_of(t, data()), want.values);
}

TEST_F(ImportTest, I2sCodeThreeIsRejected) {
    std::vector<uint8_t> d(static_cast<size_t>(kCols * kRows / 4 + 32), 0x55);
    d[100] = 0xC5;  // bits 7:6 = 3 -> element (100 / 32) * 128 + 100 % 32 = 388
    try {
        run(GgmlType::I2_S, d, WeightLayout::bits2);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("invalid I2_S code 3 at element 388"), std::string::npos) << e.what();
    }
}
