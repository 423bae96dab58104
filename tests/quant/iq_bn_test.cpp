// IQ2_BN and IQ1_BN (ik_llama.cpp) against the layouts of shared/docs/gguf-ternary-formats.md §9-10.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/fp16.hpp"
#include "core/rng.hpp"
#include "quant/codecs.hpp"
#include "quant/iq_bn.hpp"
#include "quant/types.hpp"

using namespace bitnet;

namespace {

std::vector<int8_t> random_values(int64_t n, uint64_t seed) {
    Rng rng(seed);
    std::vector<int8_t> v(static_cast<size_t>(n));
    for (int8_t& x : v) x = static_cast<int8_t>(static_cast<int>(rng.next() % 3) - 1);
    return v;
}

}  // namespace

TEST(IqBn, Iq2BnLayout) {
    // Block: elements 0-15 = -1, 16-31 = 0, 32-47 = +1, 48-63 = -1 -> every byte 0 | 1<<2 | 2<<4 | 0<<6.
    std::vector<int8_t> v(64);
    for (int i = 0; i < 64; ++i) v[static_cast<size_t>(i)] = static_cast<int8_t>(i < 16 ? -1 : i < 32 ? 0 : i < 48 ? 1 : -1);
    uint8_t row[4 + 16];
    pack_iq2_bn_row(v.data(), 64, 0.25f, row);
    float d;
    std::memcpy(&d, row, 4);
    EXPECT_EQ(d, 0.25f);
    for (int j = 0; j < 16; ++j) EXPECT_EQ(row[4 + j], 0x24) << j;
    float x[64];
    dequantize_row_iq2_bn(row, x, 64);  // skips the header and multiplies by it
    for (int i = 0; i < 64; ++i) EXPECT_EQ(x[i], 0.25f * v[static_cast<size_t>(i)]) << i;
    row[4] = 0x03;  // code 3 in element 0
    std::vector<int8_t> back(64);
    EXPECT_FALSE(unpack_iq2_bn_row(row, 64, back.data(), &d));
}

TEST(IqBn, Iq1BnDigits) {
    // An all-zero block: codes 1 -> v = 121 -> ceil(121*256/243) = 128; extra v = 40 -> 43.
    std::vector<int8_t> zeros(64, 0);
    uint8_t row[2 + 13];
    pack_iq1_bn_row(zeros.data(), 64, 1.0f, row);
    for (int k = 0; k < 12; ++k) EXPECT_EQ(row[2 + k], 128) << k;
    EXPECT_EQ(row[2 + 12], 43);
    // Element 16s + 5k + j is digit j (least significant first) of ql[3s+k]: +1 at element 5
    // (s 0, k 1, j 0) makes ql[1] = ceil((121 + 1) * 256 / 243) = 129.
    std::vector<int8_t> one(64, 0);
    one[5] = 1;
    pack_iq1_bn_row(one.data(), 64, 1.0f, row);
    EXPECT_EQ(row[2 + 1], 129);
    // Element 16s + 15 is digit s of `extra`: +1 at element 31 (s 1) gives v = 40 + 3.
    std::vector<int8_t> ex(64, 0);
    ex[31] = 1;
    pack_iq1_bn_row(ex.data(), 64, 1.0f, row);
    EXPECT_EQ(row[2 + 12], (256 * 43 + 242) / 243);
}

TEST(IqBn, Iq1BnEveryDigitPatternRoundTrips) {
    // All 3^5 patterns in one position and all 3^4 in `extra`.
    for (int p = 0; p < 243; ++p) {
        std::vector<int8_t> v(64, 0);
        for (int j = 0, q = p; j < 5; ++j, q /= 3) v[static_cast<size_t>(40 + j)] = static_cast<int8_t>(q % 3 - 1);
        for (int s = 0, q = p % 81; s < 4; ++s, q /= 3) v[static_cast<size_t>(16 * s + 15)] = static_cast<int8_t>(q % 3 - 1);
        uint8_t row[2 + 13];
        pack_iq1_bn_row(v.data(), 64, 0.5f, row);
        std::vector<int8_t> back(64);
        float d;
        unpack_iq1_bn_row(row, 64, back.data(), &d);
        ASSERT_EQ(back, v) << p;
        EXPECT_EQ(d, 0.5f);
    }
}

TEST(IqBn, RowsRoundTripAndQuantizeExactly) {
    const int64_t n = 256;
    const std::vector<int8_t> v = random_values(n, 7);
    const float alpha = fp16_to_f32(f32_to_fp16(0.0371f));  // representable in both headers
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = alpha * v[static_cast<size_t>(i)];
    for (GgmlType t : {GgmlType::IQ2_BN, GgmlType::IQ1_BN}) {
        const TypeTraits& tt = type_traits(t);
        std::vector<uint8_t> row(row_bytes(t, n));
        tt.quantize_row(x.data(), row.data(), n);
        std::vector<float> y(static_cast<size_t>(n));
        tt.dequantize_row(row.data(), y.data(), n);
        EXPECT_EQ(y, x) << tt.name;
        std::vector<int8_t> back(static_cast<size_t>(n));
        float d = 0;
        if (t == GgmlType::IQ2_BN) {
            EXPECT_TRUE(unpack_iq2_bn_row(row.data(), n, back.data(), &d));
        } else {
            unpack_iq1_bn_row(row.data(), n, back.data(), &d);
        }
        EXPECT_EQ(back, v) << tt.name;
        EXPECT_EQ(d, alpha) << tt.name;
    }
}
