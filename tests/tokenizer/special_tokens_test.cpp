#include <gtest/gtest.h>

#include "test_data.hpp"
#include "tokenizer/special_tokens.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace bitnet;
using namespace bitnet::test;

namespace {

// Renders a split as "text|<id>|text".
std::string render(const SpecialTokenSplitter& s, std::string_view text, bool parse_special) {
    std::string out;
    s.split(
        text, parse_special,
        [&](std::string_view t) {
            if (!out.empty()) out += '|';
            out.append(t);
        },
        [&](int32_t id) {
            if (!out.empty()) out += '|';
            out += '<';
            out += std::to_string(id);
            out += '>';
        });
    return out;
}

}  // namespace

TEST(SpecialTokens, LongestMatchLeftToRight) {
    SpecialTokenSplitter s;
    s.add("<a>", 1, false);
    s.add("<a><b>", 2, false);
    s.add("<b>", 3, false);
    s.add("", 4, false);  // ignored
    EXPECT_EQ(render(s, "x<a><b>y<b><a>", true), "x|<2>|y|<3>|<1>");
    EXPECT_EQ(render(s, "x<a><b>y", false), "x<a><b>y");
    EXPECT_EQ(render(s, "<a", true), "<a");
    EXPECT_EQ(render(s, "", true), "");
}

TEST(SpecialTokens, AlwaysTokensIgnoreParseSpecial) {
    SpecialTokenSplitter s;
    s.add("<ctl>", 1, false);
    s.add("@", 2, true);  // one byte long
    EXPECT_EQ(render(s, "a@b<ctl>", false), "a|<2>|b<ctl>");
    EXPECT_EQ(render(s, "a@b<ctl>", true), "a|<2>|b|<1>");
    EXPECT_EQ(render(s, "@@", false), "<2>|<2>");
}

TEST(SpecialTokens, UserDefinedTokensAreAlwaysRecognisedByTheTokenizer) {
    Vocab v = tiny_bpe_vocab();
    v.tokens.emplace_back("<tool>");
    v.scores.push_back(0.0f);
    v.token_types.push_back(token_type::kUserDefined);
    const Tokenizer tok(v);
    EXPECT_EQ(tok.encode("ab<tool>ab", false, false), (std::vector<int32_t>{256, 261, 256}));
    EXPECT_EQ(tok.encode("<s>", false, false).size(), 3u);  // control: text unless parse_special
    EXPECT_TRUE(tok.is_special(261));
    EXPECT_FALSE(tok.is_control(261));
    EXPECT_FALSE(tok.is_eog(261));
    EXPECT_EQ(tok.find_special("<tool>"), 261);
    EXPECT_EQ(tok.decode(std::vector<int32_t>{261}, true), "<tool>");  // only control tokens are skipped
}
