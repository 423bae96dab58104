#include <gtest/gtest.h>

#include <climits>
#include <random>

#include "test_data.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/byte_mapping.hpp"

using namespace bitnet;
using namespace bitnet::test;

namespace {

// The Llama-3 ranks as raw bytes, indexed over the 128,000 ordinary tokens.
const TokenTable& llama3_table() {
    static const TokenTable table = [] {
        const Vocab& v = llama3_vocab();
        TokenTable t;
        std::vector<bool> indexed(v.tokens.size());
        for (int32_t id = 0; id < v.size(); ++id) {
            std::string bytes;
            if (v.token_types[id] == token_type::kNormal) {
                mapped_to_bytes(v.tokens[id], bytes);
                indexed[id] = true;
            } else {
                bytes = v.tokens[id];
            }
            t.add(bytes);
        }
        t.build_index(indexed);
        return t;
    }();
    return table;
}

// tiktoken's byte_pair_merge, transcribed literally: merge the leftmost adjacent pair whose
// concatenation has the lowest rank until none is a token.
std::vector<int32_t> reference_bpe(const TokenTable& table, std::string_view piece) {
    std::vector<std::string> parts;
    for (const char c : piece) parts.emplace_back(1, c);
    while (parts.size() > 1) {
        int32_t best_rank = INT32_MAX;
        size_t best = 0;
        for (size_t i = 0; i + 1 < parts.size(); ++i) {
            const int32_t r = table.find(parts[i] + parts[i + 1]);
            if (r >= 0 && r < best_rank) {
                best_rank = r;
                best = i;
            }
        }
        if (best_rank == INT32_MAX) break;
        parts[best] += parts[best + 1];
        parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    }
    std::vector<int32_t> ids;
    for (const auto& p : parts) ids.push_back(table.find(p));
    return ids;
}

const BpeModel& llama3_bpe() {
    static const BpeModel model(llama3_table(), llama3_vocab().merges, BpeOrder::Tiktoken, -1);
    return model;
}

std::vector<int32_t> run(const BpeModel& m, std::string_view piece, BpePath path) {
    std::vector<int32_t> out;
    m.encode_piece(piece, out, path);
    return out;
}

}  // namespace

TEST(Bpe, MergeListOrderOnATinyVocabulary) {
    const Vocab v = tiny_bpe_vocab();
    TokenTable table;
    std::vector<bool> indexed(v.tokens.size(), true);
    for (int32_t id = 0; id < v.size(); ++id) {
        std::string bytes;
        mapped_to_bytes(v.tokens[id], bytes);
        table.add(bytes);
    }
    table.build_index(indexed);
    const BpeModel m(table, v.merges, BpeOrder::MergeList, -1);
    EXPECT_EQ(m.n_merges(), 3u);
    for (const auto path : {BpePath::Auto, BpePath::Scan, BpePath::Heap}) {
        EXPECT_EQ(run(m, "abc", path), (std::vector<int32_t>{257}));
        EXPECT_EQ(run(m, "abab", path), (std::vector<int32_t>{256, 256}));
        EXPECT_EQ(run(m, " ab", path), (std::vector<int32_t>{258}));
        EXPECT_EQ(run(m, "ba", path), (std::vector<int32_t>{'b', 'a'}));  // byte ids equal the byte values
    }
}

TEST(Bpe, MatchesTiktokenOnRandomConcatenationsOfTokens) {
    const TokenTable& table = llama3_table();
    const BpeModel& m = llama3_bpe();
    EXPECT_EQ(m.n_merges(), 280147u);
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int32_t> any_token(0, 127999);
    std::uniform_int_distribution<int> n_tokens(1, 30);
    for (int iter = 0; iter < 2000; ++iter) {
        std::string piece;
        const int n = iter < 1950 ? n_tokens(rng) : 60;  // long pieces take the heap path in Auto
        for (int k = 0; k < n; ++k) piece += table.bytes(any_token(rng));
        const std::vector<int32_t> want = reference_bpe(table, piece);
        ASSERT_EQ(run(m, piece, BpePath::Scan), want) << show_text(piece);
        ASSERT_EQ(run(m, piece, BpePath::Heap), want) << show_text(piece);
        // Auto adds the whole-piece rule, which only matters when the piece is itself a token.
        const int32_t whole = table.find(piece);
        ASSERT_EQ(run(m, piece, BpePath::Auto), whole >= 0 ? std::vector<int32_t>{whole} : want) << show_text(piece);
    }
}

TEST(Bpe, WholePieceRuleIsRequired) {
    const BpeModel& m = llama3_bpe();
    EXPECT_EQ(run(m, " Việt", BpePath::Scan), (std::vector<int32_t>{11655, 26298, 83}));
    EXPECT_EQ(run(m, " Việt", BpePath::Auto), (std::vector<int32_t>{101798}));
}
