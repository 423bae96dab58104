#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "test_data.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace bitnet;
using namespace bitnet::test;

namespace {

// Encodes every vector and reports each mismatch with the text and both id lists.
void expect_all_vectors(const Tokenizer& tok) {
    const auto& vectors = llama3_vectors();
    ASSERT_EQ(vectors.size(), 769u);
    size_t failures = 0;
    for (size_t i = 0; i < vectors.size(); ++i) {
        const TokVector& v = vectors[i];
        const std::vector<int32_t> got = tok.encode(v.text, false, v.special);
        if (got != v.ids) {
            ++failures;
            ADD_FAILURE() << "vector " << i << " (special=" << v.special << ") text " << show_text(v.text)
                          << "\n  expected " << show_ids(v.ids) << "\n  got      " << show_ids(got);
        }
    }
    EXPECT_EQ(failures, 0u);
}

const Vocab& gguf_vocab_without_pre() {
    static std::vector<uint8_t> image;
    static const Vocab v = gguf_round_trip(llama3_vocab(), false, image);
    return v;
}

}  // namespace

TEST(Encode, MatchesEveryLlama3VectorWithTheTiktokenVocab) {
    EXPECT_EQ(llama3_tokenizer().description(), "gpt2 (byte-level BPE, llama3 pre-tokenizer)");
    expect_all_vectors(llama3_tokenizer());
}

TEST(Encode, MatchesEveryVectorWithAGgufVocabMissingThePreKey) {
    const Vocab& v = gguf_vocab_without_pre();
    ASSERT_FALSE(v.pre.has_value());
    const Tokenizer tok(v);
    EXPECT_EQ(tok.description(), "gpt2 (byte-level BPE, llama3 pre-tokenizer)");
    expect_all_vectors(tok);
}

TEST(Encode, MatchesEveryVectorWithAGgufVocabNamingLlamaBpe) {
    std::vector<uint8_t> image;
    const Vocab v = gguf_round_trip(llama3_vocab(), true, image);
    ASSERT_EQ(v.pre, "llama-bpe");
    expect_all_vectors(Tokenizer(v));
}

TEST(Encode, DecodeInvertsEncode) {
    const Tokenizer& tok = llama3_tokenizer();
    for (const TokVector& v : llama3_vectors()) {
        EXPECT_EQ(tok.decode(v.ids), v.text) << show_text(v.text);
        EXPECT_EQ(tok.decode(tok.encode(v.text, false, false)), v.text) << show_text(v.text);
        EXPECT_EQ(tok.decode(tok.encode(v.text, false, true)), v.text) << show_text(v.text);
        EXPECT_EQ(tok.decode(tok.encode(v.text, true, false), true), v.text) << show_text(v.text);
    }
}

TEST(Encode, SpecialTokensOnlyWithParseSpecial) {
    const Tokenizer& tok = llama3_tokenizer();
    EXPECT_EQ(tok.encode("<|eot_id|>", false, false), (std::vector<int32_t>{27, 91, 68, 354, 851, 91, 29}));
    EXPECT_EQ(tok.encode("<|eot_id|>", false, true), (std::vector<int32_t>{128009}));
    EXPECT_EQ(tok.encode("<|eom_id|>", false, true), (std::vector<int32_t>{27, 91, 68, 316, 851, 91, 29}));
    // Chat prompt from the architecture notes: "Assistant: " is [72803, 25, 220].
    EXPECT_EQ(tok.encode("User: Hi<|eot_id|>Assistant: ", true, true),
              (std::vector<int32_t>{128000, 1502, 25, 21694, 128009, 72803, 25, 220}));
    EXPECT_EQ(tok.decode(tok.encode("a<|eot_id|>b", true, true)), "<|begin_of_text|>a<|eot_id|>b");
    EXPECT_EQ(tok.decode(tok.encode("a<|eot_id|>b", true, true), true), "ab");
}

TEST(Encode, AddsBosOnRequest) {
    const Tokenizer& tok = llama3_tokenizer();
    EXPECT_EQ(tok.encode("", true, false), (std::vector<int32_t>{128000}));
    EXPECT_EQ(tok.encode("", false, false), (std::vector<int32_t>{}));
    EXPECT_EQ(tok.encode("Hello, world!", true, false), (std::vector<int32_t>{128000, 9906, 11, 1917, 0}));
    EXPECT_TRUE(tok.add_bos_default());
}

TEST(Encode, SpecialIdsAndLookups) {
    const Tokenizer& tok = llama3_tokenizer();
    EXPECT_EQ(tok.n_vocab(), 128256);
    EXPECT_EQ(tok.bos(), 128000);
    EXPECT_EQ(tok.eos(), 128001);
    EXPECT_EQ(tok.eot(), 128009);
    EXPECT_EQ(tok.pad(), 128001);
    EXPECT_EQ(tok.find_special("<|eot_id|>"), 128009);
    EXPECT_EQ(tok.find_special("<|start_header_id|>"), 128006);
    EXPECT_EQ(tok.find_special("<|eom_id|>"), std::nullopt);
    EXPECT_EQ(tok.find_special("Hello"), std::nullopt);
    EXPECT_TRUE(tok.is_eog(128001));
    EXPECT_TRUE(tok.is_eog(128009));
    EXPECT_TRUE(tok.is_eog(128100));
    EXPECT_FALSE(tok.is_eog(128000));
    EXPECT_FALSE(tok.is_eog(9906));
    EXPECT_TRUE(tok.is_control(128000));
    EXPECT_FALSE(tok.is_control(9906));
    EXPECT_EQ(tok.token_bytes(279), " the");
    EXPECT_EQ(tok.token_bytes(128009), "<|eot_id|>");
    EXPECT_EQ(tok.token_bytes(220), " ");
}

TEST(Encode, UnknownIdsThrow) {
    const Tokenizer& tok = llama3_tokenizer();
    try {
        tok.check_id(999999);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "token id 999999 is out of range (vocabulary has 128256 tokens)");
    }
    EXPECT_THROW(tok.check_id(-1), Error);
    EXPECT_THROW(tok.check_id(128256), Error);
    EXPECT_NO_THROW(tok.check_id(128255));
    const std::vector<int32_t> bad = {9906, 128256};
    EXPECT_THROW(tok.decode(bad), Error);
    EXPECT_THROW(tok.token_bytes(-5), Error);
    EXPECT_THROW(tok.is_eog(200000), Error);
}

TEST(Encode, InvalidUtf8RoundTripsWithoutCrashing) {
    const Tokenizer& tok = llama3_tokenizer();
    const std::vector<std::string> cases = {
        "\xFF", "\xFF\xFE", "abc\x80" "def", "\xF0\x9F\x98", "x\xF0\x9F\x98 y", "\xED\xA0\x80", "\xC0\xAF",
        "Hello\xC3", " \xE2\x82", "\xF4\x90\x80\x80 z", std::string("a\0\xFF", 3)};
    for (const std::string& s : cases) {
        const auto ids = tok.encode(s, false, true);
        EXPECT_FALSE(ids.empty());
        EXPECT_EQ(tok.decode(ids), s) << show_text(s);
    }
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> len(0, 200);
    for (int iter = 0; iter < 2000; ++iter) {
        std::string s;
        const int n = len(rng);
        for (int k = 0; k < n; ++k) {
            const int b = byte(rng);
            s.push_back(static_cast<char>(b < 128 && b % 3 == 0 ? 'a' + b % 26 : b));  // mix in some letters
        }
        ASSERT_EQ(tok.decode(tok.encode(s, false, false)), s) << show_text(s);
    }
}

TEST(Encode, IsThreadSafe) {
    const Tokenizer& tok = llama3_tokenizer();
    const auto& vectors = llama3_vectors();
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (size_t i = static_cast<size_t>(t); i < vectors.size(); i += 2) {
                if (tok.encode(vectors[i].text, false, vectors[i].special) != vectors[i].ids) ++mismatches[t];
            }
        });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(Encode, NonLlama3VocabularyWithoutPreUsesGpt2Rules) {
    Vocab v = tiny_bpe_vocab();
    v.pre.reset();
    const Tokenizer tok(v);
    EXPECT_EQ(tok.description(), "gpt2 (byte-level BPE, gpt2 pre-tokenizer)");
    // Pieces "abc" and " abc"; merge-list order merges "ab c" (rank 1) before "Ġ ab" (rank 2).
    EXPECT_EQ(tok.encode("abc abc", false, false), (std::vector<int32_t>{257, ' ', 257}));
    EXPECT_EQ(tok.encode(" ab", false, false), (std::vector<int32_t>{258}));
    EXPECT_EQ(tok.encode("<s>ab</s>", true, true), (std::vector<int32_t>{259, 259, 256, 260}));
    EXPECT_EQ(tok.decode(tok.encode("<s>ab</s>", false, false)), "<s>ab</s>");
}

TEST(Encode, LlamaDetectionNeedsTheLlama3Vocabulary) {
    Vocab v = llama3_vocab();
    v.tokens[128000] = "<|something_else|>";
    EXPECT_FALSE(v.is_llama3());
    const Tokenizer tok(v);
    EXPECT_EQ(tok.description(), "gpt2 (byte-level BPE, gpt2 pre-tokenizer)");
}

TEST(Encode, FromGgufConvenience) {
    std::vector<uint8_t> image;
    GgufWriter w;
    write_vocab(w, tiny_bpe_vocab(), true);
    image = w.to_bytes();
    const Tokenizer tok = Tokenizer::from_gguf(GgufFile::parse(image.data(), image.size()));
    EXPECT_EQ(tok.n_vocab(), 261);
    EXPECT_EQ(tok.encode("abc", true, false), (std::vector<int32_t>{259, 257}));
}
