// Hostile and corrupt files: every defect must produce a specific error, never a crash, hang or
// huge allocation.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/rng.hpp"
#include "gguf_test_util.hpp"

using namespace bitnet;
using namespace bitnet::test;

namespace {

std::vector<uint8_t> small_file() { return small_writer().to_bytes(); }

// Offset of the tensor-info record of `name` (its name-length field).
size_t tensor_info_at(const std::vector<uint8_t>& b, const std::string& name) {
    const auto it = std::search(b.begin(), b.end(), name.begin(), name.end());
    EXPECT_NE(it, b.end());
    return static_cast<size_t>(it - b.begin()) - 8;
}

// Offset of the KV record of `key` (its key-length field).
size_t kv_at(const std::vector<uint8_t>& b, const std::string& key) { return tensor_info_at(b, key); }

struct TensorFields {
    size_t n_dims, ne0, type, offset;
};
TensorFields fields(const std::vector<uint8_t>& b, const std::string& name) {
    const size_t at = tensor_info_at(b, name) + 8 + name.size();
    const uint32_t n_dims = peek<uint32_t>(b, at);
    return {at, at + 4, at + 4 + 8 * n_dims, at + 4 + 8 * n_dims + 4};
}

}  // namespace

TEST(GgufValidation, BadMagic) {
    auto b = small_file();
    b[0] = 'X';
    EXPECT_PARSE_ERROR(b, "not a GGUF file (bad magic");
    EXPECT_PARSE_ERROR(std::vector<uint8_t>({'G', 'G'}), "not a GGUF file");
}

TEST(GgufValidation, OldVersions) {
    for (uint32_t v : {1u, 2u, 4u}) {
        auto b = small_file();
        poke<uint32_t>(b, 4, v);
        EXPECT_PARSE_ERROR(b, "unsupported GGUF version " + std::to_string(v));
    }
    auto b = small_file();
    poke<uint32_t>(b, 4, 0x03000000u);
    EXPECT_PARSE_ERROR(b, "big-endian");
}

TEST(GgufValidation, TruncationAtEveryByteIsAnError) {
    const auto full = small_file();
    const GgufFile f = GgufFile::parse(full.data(), full.size());
    size_t needed = 0;
    for (const GgufTensor& t : f.tensors()) {
        needed = std::max<size_t>(needed, f.data_offset() + t.offset + t.nbytes);
    }
    for (size_t len = 0; len < needed; ++len) {
        const std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(len));
        const std::string msg = parse_error(cut);
        EXPECT_FALSE(msg.empty()) << "truncated to " << len << " bytes parsed without error";
        if (len >= 8) {
            EXPECT_TRUE(msg.find("truncated") != std::string::npos || msg.find("past the end") != std::string::npos ||
                        msg.find("impossible") != std::string::npos || msg.find("does not fit") != std::string::npos)
                << len << ": " << msg;
        }
    }
    // Cutting only the padding after the last tensor keeps the file valid.
    const std::vector<uint8_t> exact(full.begin(), full.begin() + static_cast<long>(needed));
    EXPECT_EQ(parse_error(exact), "");
}

TEST(GgufValidation, RandomCorruptionNeverCrashes) {
    const auto full = small_file();
    Rng rng(7);
    for (int trial = 0; trial < 3000; ++trial) {
        auto b = full;
        const int flips = 1 + static_cast<int>(rng.below(4));
        for (int k = 0; k < flips; ++k) b[rng.below(b.size())] = static_cast<uint8_t>(rng.next());
        parse_error(b);  // must return or throw Error, nothing else
    }
}

TEST(GgufValidation, UnknownTensorTypeIsNamed) {
    auto b = small_file();
    poke<uint32_t>(b, fields(b, "norm.weight").type, 99);
    EXPECT_PARSE_ERROR(b, "tensor 'norm.weight' has unknown type id 99");
}

TEST(GgufValidation, UnknownValueTypes) {
    auto b = small_file();
    const std::string key = "general.architecture";
    poke<uint32_t>(b, kv_at(b, key) + 8 + key.size(), 13);
    EXPECT_PARSE_ERROR(b, "key 'general.architecture' has unknown value type 13");

    b = small_file();
    const std::string arr = "tokenizer.ggml.token_type";
    poke<uint32_t>(b, kv_at(b, arr) + 8 + arr.size() + 4, 77);
    EXPECT_PARSE_ERROR(b, "array has unknown element type 77");
}

TEST(GgufValidation, AbsurdCounts) {
    auto b = small_file();
    poke<uint64_t>(b, 8, 1ull << 60);
    EXPECT_PARSE_ERROR(b, "tensor count 1152921504606846976 is impossible");
    b = small_file();
    poke<uint64_t>(b, 16, ~0ull);
    EXPECT_PARSE_ERROR(b, "metadata count");

    b = small_file();
    poke<uint64_t>(b, kv_at(b, "general.architecture") + 8 + 20 + 4, 1ull << 62);  // string length
    EXPECT_PARSE_ERROR(b, "past the end of the file");

    b = small_file();
    const std::string arr = "tokenizer.ggml.tokens";
    poke<uint64_t>(b, kv_at(b, arr) + 8 + arr.size() + 4 + 4, 1ull << 61);  // array count
    EXPECT_PARSE_ERROR(b, "does not fit");

    b = small_file();
    poke<uint64_t>(b, kv_at(b, "general.architecture"), 1ull << 63);  // key length
    EXPECT_PARSE_ERROR(b, "past the end of the file");
}

TEST(GgufValidation, DimensionChecks) {
    auto b = small_file();
    poke<uint32_t>(b, fields(b, "norm.weight").n_dims, 5);
    EXPECT_PARSE_ERROR(b, "tensor 'norm.weight' has n_dims 5");

    b = small_file();
    poke<uint64_t>(b, fields(b, "norm.weight").ne0, 0);
    EXPECT_PARSE_ERROR(b, "zero dimension");

    b = small_file();
    const auto q = fields(b, "blk.0.attn_q.weight");
    poke<uint64_t>(b, q.ne0, 1ull << 40);
    poke<uint64_t>(b, q.ne0 + 8, 1ull << 40);
    EXPECT_PARSE_ERROR(b, "element count overflows");

    b = small_file();
    poke<uint64_t>(b, q.ne0, 100);  // I2_S rows must be whole 128-element groups
    EXPECT_PARSE_ERROR(b, "not a multiple of the i2_s block size 128");
}

TEST(GgufValidation, DataPlacement) {
    auto b = small_file();
    const auto e = fields(b, "token_embd.weight");
    poke<uint64_t>(b, e.offset, peek<uint64_t>(b, e.offset) + 1);
    EXPECT_PARSE_ERROR(b, "is not a multiple of the alignment 32");

    b = small_file();
    poke<uint64_t>(b, e.offset, 1ull << 40);
    EXPECT_PARSE_ERROR(b, "lies outside the data section");

    b = small_file();
    poke<uint64_t>(b, e.offset, 0);  // on top of norm.weight
    EXPECT_PARSE_ERROR(b, "overlaps");
}

TEST(GgufValidation, BadAlignmentKey) {
    GgufWriter w = small_writer();
    w.set_u32("general.alignment", 48);
    EXPECT_PARSE_ERROR(w.to_bytes(), "general.alignment 48 is not a power of two");
    GgufWriter w2 = small_writer();
    w2.set_string("general.alignment", "32");
    EXPECT_PARSE_ERROR(w2.to_bytes(), "general.alignment has type string, expected uint32");
}

TEST(GgufValidation, Duplicates) {
    auto b = small_file();
    // Rename "bitnet-b1.58.embedding_length" to a copy of another key of the same length? Simpler:
    // make the second tensor's name equal the first one's (same length names are required).
    GgufWriter w;
    w.set_u32("aaaa", 1);
    w.set_u32("bbbb", 2);
    auto kb = w.to_bytes();
    const size_t at = kv_at(kb, "bbbb");
    std::memcpy(kb.data() + at + 8, "aaaa", 4);
    EXPECT_PARSE_ERROR(kb, "duplicate metadata key 'aaaa'");

    GgufWriter t;
    static std::vector<float> v(64, 0.0f);
    t.add_tensor_copy("xa", GgmlType::F32, {64}, v.data());
    t.add_tensor_copy("xb", GgmlType::F32, {64}, v.data());
    auto tb = t.to_bytes();
    std::memcpy(tb.data() + tensor_info_at(tb, "xb") + 8, "xa", 2);
    EXPECT_PARSE_ERROR(tb, "duplicate tensor name 'xa'");
    EXPECT_THROW(t.add_tensor_copy("xa", GgmlType::F32, {64}, v.data()), Error);
}

TEST(GgufValidation, InvalidBool) {
    auto b = small_file();
    const std::string key = "tokenizer.ggml.add_bos_token";
    b[kv_at(b, key) + 8 + key.size() + 4] = 2;
    EXPECT_PARSE_ERROR(b, "bool has invalid value 2");
}

TEST(GgufValidation, DeeplyNestedArraysAreRejected) {
    std::vector<uint8_t> raw;
    auto put32 = [&](uint32_t v) { raw.insert(raw.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 4); };
    auto put64 = [&](uint64_t v) { raw.insert(raw.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 8); };
    for (int d = 0; d < 100; ++d) {
        put32(static_cast<uint32_t>(GgufType::ARRAY));
        put64(1);
    }
    put32(static_cast<uint32_t>(GgufType::UINT8));
    put64(0);
    GgufWriter w;
    w.set_raw("deep", GgufType::ARRAY, raw);
    EXPECT_PARSE_ERROR(w.to_bytes(), "nested deeper than");
}
