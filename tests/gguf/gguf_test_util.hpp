#pragma once
// Helpers for GGUF tests: build small files in memory and expect specific parse errors.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"

namespace bitnet::test {

// A small valid file: a few metadata types and three tensors of different types.
inline GgufWriter small_writer() {
    GgufWriter w;
    w.set_string("general.architecture", "bitnet-b1.58");
    w.set_u32("bitnet-b1.58.embedding_length", 256);
    w.set_f32("bitnet-b1.58.rope.freq_base", 500000.0f);
    w.set_bool("tokenizer.ggml.add_bos_token", true);
    w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "c"});
    w.set_i32_array("tokenizer.ggml.token_type", {1, 1, 3});
    static std::vector<float> norm(256, 1.0f);
    static std::vector<uint8_t> i2s(256 * 128 / 4 + 32, 0x55);
    static std::vector<uint16_t> f16(256 * 4, 0x3c00);
    w.add_tensor_copy("norm.weight", GgmlType::F32, {256}, norm.data());
    w.add_tensor_copy("blk.0.attn_q.weight", GgmlType::I2_S, {256, 128}, i2s.data());
    w.add_tensor_copy("token_embd.weight", GgmlType::F16, {256, 4}, f16.data());
    return w;
}

inline std::string parse_error(const std::vector<uint8_t>& bytes) {
    try {
        GgufFile::parse(bytes.data(), bytes.size(), "test.gguf");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

#define EXPECT_PARSE_ERROR(bytes, fragment)                                                          \
    do {                                                                                             \
        const std::string msg_ = ::bitnet::test::parse_error(bytes);                                 \
        EXPECT_NE(msg_.find(fragment), std::string::npos) << "message: '" << msg_ << "'";            \
    } while (0)

template <class T>
void poke(std::vector<uint8_t>& bytes, size_t offset, T value) {
    std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

template <class T>
T peek(const std::vector<uint8_t>& bytes, size_t offset) {
    T v;
    std::memcpy(&v, bytes.data() + offset, sizeof(T));
    return v;
}

}  // namespace bitnet::test
