#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "test_data.hpp"
#include "tokenizer/stream_decoder.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace bitnet;
using namespace bitnet::test;

namespace {

// A Llama-2-style SentencePiece vocabulary: <unk>, <s>, </s>, 256 byte tokens, then pieces.
struct SpmFixture {
    Vocab vocab;
    int32_t id(const std::string& piece) const {
        for (int32_t i = 0; i < vocab.size(); ++i) {
            if (vocab.tokens[i] == piece) return i;
        }
        ADD_FAILURE() << "no piece " << piece;
        return -1;
    }
};

SpmFixture make_spm() {
    SpmFixture f;
    Vocab& v = f.vocab;
    v.model = "llama";
    const auto add = [&](const std::string& text, float score, int32_t type) {
        v.tokens.push_back(text);
        v.scores.push_back(score);
        v.token_types.push_back(type);
    };
    add("<unk>", 0, token_type::kUnknown);
    add("<s>", 0, token_type::kControl);
    add("</s>", 0, token_type::kControl);
    for (int b = 0; b < 256; ++b) add(strprintf("<0x%02X>", b), 0, token_type::kByte);
    // Higher score merges first.
    for (const auto& [text, score] : std::vector<std::pair<std::string, float>>{
             {"▁", -1}, {"h", -2}, {"e", -3}, {"l", -4}, {"o", -5}, {"w", -6}, {"r", -7}, {"d", -8}, {"s", -9},
             {"<", -10}, {">", -11}, {"ll", -12}, {"▁h", -13}, {"▁he", -14}, {"llo", -15}, {"▁hello", -16},
             {"▁w", -17}, {"or", -18}, {"ld", -19}, {"▁wor", -20}, {"▁world", -21}, {"é", -22}}) {
        add(text, score, token_type::kNormal);
    }
    v.bos_id = 1;
    v.eos_id = 2;
    v.unk_id = 0;
    v.add_bos = true;
    return f;
}

}  // namespace

TEST(Spm, MergesByScoreAndMarksWords) {
    const SpmFixture f = make_spm();
    const Tokenizer tok(f.vocab);
    EXPECT_EQ(tok.description(), "llama (SentencePiece)");
    EXPECT_EQ(tok.encode("hello world", true, false),
              (std::vector<int32_t>{1, f.id("▁hello"), f.id("▁world")}));
    EXPECT_EQ(tok.encode("hello", false, false), (std::vector<int32_t>{f.id("▁hello")}));
    EXPECT_EQ(tok.decode(tok.encode("hello world", true, false), true), "hello world");
}

TEST(Spm, FallsBackToByteTokens) {
    const SpmFixture f = make_spm();
    const Tokenizer tok(f.vocab);
    // '€' has no piece: its three bytes become <0xE2> <0x82> <0xAC>.
    EXPECT_EQ(tok.encode("€", false, false),
              (std::vector<int32_t>{f.id("▁"), f.id("<0xE2>"), f.id("<0x82>"), f.id("<0xAC>")}));
    EXPECT_EQ(tok.decode(tok.encode("é€ hello", false, false)), "é€ hello");
    EXPECT_EQ(tok.token_bytes(f.id("<0x41>")), "A");
    TokenStreamDecoder dec(tok);
    std::string out;
    for (const int32_t id : tok.encode("€", false, false)) out += dec.push(id);
    EXPECT_EQ(out + dec.flush(), " €");
}

TEST(Spm, SpecialTokensAreNotMadeFromText) {
    const SpmFixture f = make_spm();
    const Tokenizer tok(f.vocab);
    const auto plain = tok.encode("<s>", false, false);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 1), 0);
    EXPECT_EQ(tok.encode("<s>hello", false, true), (std::vector<int32_t>{1, f.id("▁hello")}));
}

TEST(Spm, GgufRoundTripUsesSentencePieceDefaults) {
    const SpmFixture f = make_spm();
    std::vector<uint8_t> image;
    const Vocab v = gguf_round_trip(f.vocab, false, image);
    EXPECT_EQ(v.model, "llama");
    EXPECT_EQ(v.tokens, f.vocab.tokens);
    EXPECT_EQ(v.scores, f.vocab.scores);
    EXPECT_EQ(v.unk_id, 0);
    EXPECT_TRUE(v.merges.empty());
    const Tokenizer tok(v);
    EXPECT_EQ(tok.encode("hello world", false, false), (std::vector<int32_t>{f.id("▁hello"), f.id("▁world")}));
}
