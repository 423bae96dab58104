#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "gguf_test_util.hpp"

using namespace bitnet;
using namespace bitnet::test;

TEST(GgufRoundTrip, AllValueTypes) {
    GgufWriter w;
    w.set_raw("u8", GgufType::UINT8, {200});
    w.set_raw("i8", GgufType::INT8, {0xfe});
    w.set_raw("u16", GgufType::UINT16, {0x34, 0x12});
    w.set_raw("i16", GgufType::INT16, {0xff, 0xff});
    w.set_u32("u32", 4000000000u);
    w.set_i32("i32", -5);
    w.set_f32("f32", 1.5f);
    w.set_bool("bool", true);
    w.set_string("str", std::string("h\0llo", 5));
    w.set_u64("u64", 1ull << 40);
    std::vector<uint8_t> i64(8);
    const int64_t neg = -(1ll << 40);
    std::memcpy(i64.data(), &neg, 8);
    w.set_raw("i64", GgufType::INT64, i64);
    std::vector<uint8_t> f64(8);
    const double d = 2.25;
    std::memcpy(f64.data(), &d, 8);
    w.set_raw("f64", GgufType::FLOAT64, f64);
    w.set_string_array("strs", {"x", "", "zz"});
    w.set_f32_array("floats", {1.0f, -2.0f});
    // Array of two arrays of uint8: [[1, 2], [3]]
    std::vector<uint8_t> nested;
    auto put32 = [&](uint32_t v) { nested.insert(nested.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 4); };
    auto put64 = [&](uint64_t v) { nested.insert(nested.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 8); };
    put32(static_cast<uint32_t>(GgufType::ARRAY));
    put64(2);
    put32(static_cast<uint32_t>(GgufType::UINT8));
    put64(2);
    nested.push_back(1);
    nested.push_back(2);
    put32(static_cast<uint32_t>(GgufType::UINT8));
    put64(1);
    nested.push_back(3);
    w.set_raw("nested", GgufType::ARRAY, nested);

    const std::vector<uint8_t> bytes = w.to_bytes();
    const GgufFile f = GgufFile::parse(bytes.data(), bytes.size());
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.metadata().size(), 15u);
    EXPECT_EQ(f.get_uint("u8"), 200u);
    EXPECT_EQ(f.get_int("i8"), -2);
    EXPECT_EQ(f.get_uint("u16"), 0x1234u);
    EXPECT_EQ(f.get_int("i16"), -1);
    EXPECT_EQ(f.get_uint("u32"), 4000000000u);
    EXPECT_EQ(f.get_int("i32"), -5);
    EXPECT_EQ(f.get_f32("f32"), 1.5f);
    EXPECT_TRUE(f.get_bool("bool"));
    EXPECT_EQ(f.get_string("str"), std::string_view("h\0llo", 5));
    EXPECT_EQ(f.get_uint("u64"), 1ull << 40);
    EXPECT_EQ(f.get_int("i64"), neg);
    EXPECT_EQ(f.get_f32("f64"), 2.25f);
    const GgufValue& strs = f.get_array("strs", GgufType::STRING);
    ASSERT_EQ(strs.count, 3u);
    EXPECT_EQ(strs.strings[2], "zz");
    EXPECT_EQ(f.get_array("floats", GgufType::FLOAT32).float_at(1), -2.0);
    const GgufValue& n = f.get_array("nested", GgufType::ARRAY);
    ASSERT_EQ(n.items.size(), 2u);
    EXPECT_EQ(n.items[0].int_at(1), 2);
    EXPECT_EQ(n.items[1].int_at(0), 3);

    // Writing what was read gives the same bytes.
    GgufWriter w2;
    for (const GgufKv& kv : f.metadata()) w2.set_value(kv.key, kv.value);
    EXPECT_EQ(w2.to_bytes(), bytes);
}

TEST(GgufRoundTrip, TensorsAreAlignedAndByteExact) {
    const std::vector<uint8_t> bytes = small_writer().to_bytes();
    const GgufFile f = GgufFile::parse(bytes.data(), bytes.size());
    ASSERT_EQ(f.tensors().size(), 3u);
    EXPECT_EQ(f.data_offset() % 32, 0u);
    const GgufTensor& q = f.tensor("blk.0.attn_q.weight");
    EXPECT_EQ(q.type, GgmlType::I2_S);
    EXPECT_EQ(q.nbytes, 256u * 128 / 4 + 32);
    EXPECT_EQ(q.ne[0], 256);
    EXPECT_EQ(q.ne[1], 128);
    EXPECT_EQ(q.data[0], 0x55);
    for (const GgufTensor& t : f.tensors()) EXPECT_EQ(t.offset % 32, 0u);
    const GgufTensor& e = f.tensor("token_embd.weight");
    EXPECT_EQ(e.shape_string(), "[256, 4]");
    EXPECT_EQ(peek<uint16_t>(bytes, static_cast<size_t>(e.data - bytes.data())), 0x3c00);
    EXPECT_EQ(f.find_tensor("missing"), nullptr);
}

TEST(GgufRoundTrip, WritesAndMapsAFile) {
    // Per-process name: parallel CTest runs must not write the same file.
    const auto path =
        std::filesystem::temp_directory_path() / ("bitnet-gguf-roundtrip-" + std::to_string(::getpid()) + ".gguf");
    small_writer().write(path.string());
    const GgufFile f = GgufFile::open(path.string());
    EXPECT_EQ(f.tensors().size(), 3u);
    EXPECT_EQ(f.get_string("general.architecture"), "bitnet-b1.58");
    EXPECT_EQ(f.file_size(), std::filesystem::file_size(path));
    std::filesystem::remove(path);
}

TEST(GgufRoundTrip, CustomAlignment) {
    GgufWriter w = small_writer();
    w.set_alignment(64);
    const std::vector<uint8_t> bytes = w.to_bytes();
    const GgufFile f = GgufFile::parse(bytes.data(), bytes.size());
    EXPECT_EQ(f.alignment(), 64u);
    EXPECT_EQ(f.data_offset() % 64, 0u);
    for (const GgufTensor& t : f.tensors()) EXPECT_EQ(t.offset % 64, 0u);
}

TEST(GgufAccessors, TypedErrorsNameTheKey) {
    const std::vector<uint8_t> bytes = small_writer().to_bytes();
    const GgufFile f = GgufFile::parse(bytes.data(), bytes.size(), "m.gguf");
    try {
        f.get_uint("nope.key");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "m.gguf: missing metadata key 'nope.key'");
    }
    try {
        f.get_uint("general.architecture");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "m.gguf: metadata key 'general.architecture' has type string, expected an unsigned integer");
    }
    EXPECT_THROW(f.get_array("tokenizer.ggml.tokens", GgufType::INT32), Error);
    EXPECT_THROW(f.tensor("nope"), Error);
    EXPECT_EQ(f.opt_uint("nope"), std::nullopt);
    EXPECT_EQ(*f.opt_uint("bitnet-b1.58.embedding_length"), 256u);
}
