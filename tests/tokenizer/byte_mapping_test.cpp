#include <gtest/gtest.h>

#include "tokenizer/byte_mapping.hpp"

using namespace bitnet;

TEST(ByteMapping, MatchesGpt2BytesToUnicode) {
    EXPECT_EQ(byte_to_mapped(' '), "Ġ");
    EXPECT_EQ(byte_to_mapped('\n'), "Ċ");
    EXPECT_EQ(byte_to_mapped('\t'), "ĉ");
    EXPECT_EQ(byte_to_mapped(0xAD), "Ń");
    EXPECT_EQ(byte_to_mapped(0x00), "Ā");
    EXPECT_EQ(byte_to_mapped('!'), "!");
    EXPECT_EQ(byte_to_mapped(0xFF), "ÿ");
    EXPECT_EQ(bytes_to_mapped(" the"), "Ġthe");
}

TEST(ByteMapping, RoundTripsEveryByte) {
    std::string all;
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
    std::string back;
    EXPECT_TRUE(mapped_to_bytes(bytes_to_mapped(all), back));
    EXPECT_EQ(back, all);
}

TEST(ByteMapping, KeepsUnmappedCharactersRaw) {
    std::string out;
    EXPECT_FALSE(mapped_to_bytes("a€b", out));  // U+20AC is not in the alphabet
    EXPECT_EQ(out, "a€b");
    out.clear();
    EXPECT_FALSE(mapped_to_bytes("a\xFF", out));
    EXPECT_EQ(out, "a\xFF");
}
