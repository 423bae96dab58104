#include <gtest/gtest.h>

#include "test_data.hpp"
#include "tokenizer/pretokenizer.hpp"

using namespace bitnet;
using bitnet::test::show_text;

namespace {

std::vector<std::string> split(PreTokenizerKind kind, std::string_view text) {
    const PreTokenizer pre(kind);
    std::vector<std::string_view> pieces;
    pre.split(text, pieces);
    std::string joined;
    for (const auto p : pieces) joined.append(p);
    EXPECT_EQ(joined, text) << "pieces must cover the text exactly";
    return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

}  // namespace

TEST(PreTokenizer, Llama3RulesFromTheReadme) {
    const auto k = PreTokenizerKind::Llama3;
    EXPECT_EQ(split(k, "   Hello"), (Pieces{"  ", " Hello"}));
    EXPECT_EQ(split(k, "x\n   "), (Pieces{"x", "\n", "   "}));
    EXPECT_EQ(split(k, "1234567"), (Pieces{"123", "456", "7"}));
    EXPECT_EQ(split(k, "don't"), (Pieces{"don", "'t"}));
    EXPECT_EQ(split(k, "We'Ve"), (Pieces{"We", "'Ve"}));
    EXPECT_EQ(split(k, "I'LL"), (Pieces{"I", "'LL"}));
    EXPECT_EQ(split(k, "\tfoo(bar)"), (Pieces{"\tfoo", "(bar", ")"}));
    EXPECT_EQ(split(k, "$Hello"), (Pieces{"$Hello"}));
    EXPECT_EQ(split(k, "a  \n\n b"), (Pieces{"a", "  \n\n", " b"}));
    EXPECT_EQ(split(k, "½²Ⅻ"), (Pieces{"½²Ⅻ"}));  // all \p{N}
    EXPECT_EQ(split(k, "e\xCC\x81t"), (Pieces{"e", "\xCC\x81t"}));  // a combining mark breaks the letter run
}

TEST(PreTokenizer, Llama3WhitespaceIsUnicodeWhiteSpace) {
    const auto k = PreTokenizerKind::Llama3;
    // U+0085 is White_Space: "\s+(?!\S)" leaves it to prefix the word.
    EXPECT_EQ(split(k, " \xC2\x85word"), (Pieces{" ", "\xC2\x85word"}));
    // U+FEFF and U+180E are not: they are punctuation-like prefixes.
    EXPECT_EQ(split(k, " \xEF\xBB\xBFword"), (Pieces{" \xEF\xBB\xBF", "word"}));
    EXPECT_EQ(split(k, " \xE1\xA0\x8Eword"), (Pieces{" \xE1\xA0\x8E", "word"}));
    // U+3000 ideographic space prefixes a letter run.
    EXPECT_EQ(split(k, "a\xE3\x80\x80" "b"), (Pieces{"a", "\xE3\x80\x80" "b"}));
}

TEST(PreTokenizer, Gpt2Pattern) {
    const auto k = PreTokenizerKind::Gpt2;
    EXPECT_EQ(split(k, "Hello world 12345!!"), (Pieces{"Hello", " world", " 12345", "!!"}));
    EXPECT_EQ(split(k, "don't   go"), (Pieces{"don", "'t", "  ", " go"}));
}

TEST(PreTokenizer, InvalidUtf8BecomesItsOwnPieces) {
    for (const auto k : {PreTokenizerKind::Llama3, PreTokenizerKind::Gpt2}) {
        EXPECT_EQ(split(k, "ab\xFF\xFE" "cd"), (Pieces{"ab", "\xFF\xFE", "cd"}));
        EXPECT_EQ(split(k, "\x80"), (Pieces{"\x80"}));
        EXPECT_EQ(split(k, "x\xF0\x9F\x98"), (Pieces{"x", "\xF0\x9F\x98"}));
        // NUL is an ordinary character: a prefix of the letter run for Llama-3, punctuation for GPT-2.
        EXPECT_EQ(split(k, std::string_view("a\0b", 3)).size(), k == PreTokenizerKind::Llama3 ? 2u : 3u);
    }
}

TEST(PreTokenizer, LongRunsDoNotExhaustTheJitStack) {
    std::string text(200000, ' ');
    text += "x";
    text += std::string(100000, '\n');
    const auto pieces = split(PreTokenizerKind::Llama3, text);
    ASSERT_EQ(pieces.size(), 3u);
    EXPECT_EQ(pieces[0].size(), 199999u);
}
