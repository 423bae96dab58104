#include <gtest/gtest.h>

#include "core/error.hpp"
#include "test_data.hpp"
#include "tokenizer/stream_decoder.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/utf8.hpp"

using namespace bitnet;
using namespace bitnet::test;

namespace {

// The id of the single-byte token for `b`.
int32_t byte_token(const Tokenizer& tok, uint8_t b) {
    for (int32_t id = 0; id < 256; ++id) {
        const std::string bytes = tok.token_bytes(id);
        if (bytes.size() == 1 && static_cast<uint8_t>(bytes[0]) == b) return id;
    }
    ADD_FAILURE() << "no token for byte " << int(b);
    return 0;
}

}  // namespace

TEST(StreamDecoder, NeverSplitsACharacterFedByteByByte) {
    const Tokenizer& tok = llama3_tokenizer();
    for (const std::string text : {"😀", "👨‍👩‍👧‍👦 fam", "🇫🇷", "日本語", "é", "a€b"}) {
        TokenStreamDecoder dec(tok);
        std::string out;
        for (size_t i = 0; i < text.size(); ++i) {
            const std::string piece = dec.push(byte_token(tok, static_cast<uint8_t>(text[i])));
            EXPECT_TRUE(utf8::is_valid(piece)) << "byte " << i << " of " << text;
            out += piece;
            // Output so far is exactly the complete characters so far.
            EXPECT_EQ(out.size() + dec.pending_bytes(), i + 1);
        }
        out += dec.flush();
        EXPECT_EQ(out, text);
    }
}

TEST(StreamDecoder, ReassemblesEveryVectorTokenByToken) {
    const Tokenizer& tok = llama3_tokenizer();
    for (const TokVector& v : llama3_vectors()) {
        TokenStreamDecoder dec(tok);
        std::string out;
        for (const int32_t id : v.ids) {
            const std::string piece = dec.push(id);
            ASSERT_TRUE(utf8::is_valid(piece)) << show_text(v.text);
            out += piece;
        }
        out += dec.flush();
        EXPECT_EQ(out, v.text) << show_text(v.text);
        EXPECT_EQ(dec.pending_bytes(), 0u);
    }
}

TEST(StreamDecoder, ReplacesInvalidBytes) {
    const Tokenizer& tok = llama3_tokenizer();
    const std::string rep(utf8::kReplacement);
    TokenStreamDecoder dec(tok);
    EXPECT_EQ(dec.push(byte_token(tok, 0xFF)), rep);
    EXPECT_EQ(dec.push(byte_token(tok, 0xF0)), "");
    EXPECT_EQ(dec.push(byte_token(tok, 0x9F)), "");
    EXPECT_EQ(dec.push(byte_token(tok, 'a')), rep + "a");  // interrupted sequence
    EXPECT_EQ(dec.push(byte_token(tok, 0xE2)), "");
    EXPECT_EQ(dec.push(128009), rep + "<|eot_id|>");
    EXPECT_EQ(dec.push(byte_token(tok, 0xC3)), "");
    EXPECT_EQ(dec.flush(), rep);  // incomplete at the end
    EXPECT_EQ(dec.flush(), "");
    EXPECT_EQ(dec.push(byte_token(tok, 0xC3)), "");
    dec.reset();
    EXPECT_EQ(dec.pending_bytes(), 0u);
}

TEST(StreamDecoder, SkipsControlTokensOnRequest) {
    const Tokenizer& tok = llama3_tokenizer();
    TokenStreamDecoder dec(tok, true);
    std::string out;
    for (const int32_t id : tok.encode("Hi<|eot_id|> there", true, true)) out += dec.push(id);
    out += dec.flush();
    EXPECT_EQ(out, "Hi there");
    EXPECT_THROW(dec.push(999999), Error);
}
