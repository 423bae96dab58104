#include <gtest/gtest.h>

#include <functional>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "test_data.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab.hpp"

using namespace bitnet;
using namespace bitnet::test;

namespace {

// Expects `fn` to throw bitnet::Error whose message contains `needle`.
template <class Fn>
void expect_error(Fn&& fn, const std::string& needle) {
    try {
        fn();
        ADD_FAILURE() << "no error thrown; expected one containing '" << needle << "'";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
    }
}

Vocab vocab_from_image(const std::vector<uint8_t>& image) {
    return vocab_from_gguf(GgufFile::parse(image.data(), image.size(), "test.gguf"));
}

}  // namespace

TEST(TiktokenVocab, BuildsTheLlama3Vocabulary) {
    // Its load time is measured in bench/tokenizer_bench.cpp, not asserted here.
    const Vocab v = vocab_from_tiktoken(tokenizer_data_dir() + "/llama3.tiktoken");

    ASSERT_EQ(v.size(), 128256);
    EXPECT_EQ(v.model, "gpt2");
    EXPECT_FALSE(v.pre.has_value());
    EXPECT_EQ(v.tokens[0], "!");
    EXPECT_EQ(v.tokens[220], "Ġ");
    EXPECT_EQ(v.tokens[198], "Ċ");
    EXPECT_EQ(v.tokens[279], "Ġthe");
    EXPECT_EQ(v.tokens[128000], "<|begin_of_text|>");
    EXPECT_EQ(v.tokens[128001], "<|end_of_text|>");
    EXPECT_EQ(v.tokens[128008], "<|reserved_special_token_4|>");
    EXPECT_EQ(v.tokens[128009], "<|eot_id|>");
    EXPECT_EQ(v.tokens[128010], "<|reserved_special_token_5|>");
    EXPECT_EQ(v.tokens[128255], "<|reserved_special_token_250|>");
    EXPECT_EQ(v.token_types[127999], token_type::kNormal);
    EXPECT_EQ(v.token_types[128000], token_type::kControl);
    EXPECT_EQ(v.scores[127999], 0.0f);
    EXPECT_EQ(v.scores[128255], -1000.0f);
    EXPECT_EQ(v.bos_id, 128000);
    EXPECT_EQ(v.eos_id, 128001);
    EXPECT_EQ(v.eot_id, 128009);
    EXPECT_EQ(v.pad_id, 128001);
    EXPECT_TRUE(v.add_bos);
    EXPECT_FALSE(v.add_eos);
    EXPECT_TRUE(v.is_llama3());

    ASSERT_EQ(v.merges.size(), 280147u);
    const std::vector<std::string> prefix = {"Ġ Ġ", "Ġ ĠĠĠ", "ĠĠ ĠĠ", "ĠĠĠ Ġ", "i n", "Ġ t"};
    for (size_t i = 0; i < prefix.size(); ++i) EXPECT_EQ(v.merges[i], prefix[i]) << "merge " << i;
}

TEST(TiktokenVocab, RejectsMalformedFiles) {
    expect_error([] { vocab_from_tiktoken_text("IQ== 0\nIg== x\n", "bad.tiktoken"); }, "bad.tiktoken:2");
    expect_error([] { vocab_from_tiktoken_text("I!== 0\n", "bad.tiktoken"); }, "malformed");
    expect_error([] { vocab_from_tiktoken_text("IQ== 0\nIg== 2\n", "bad.tiktoken"); }, "without gaps");
    expect_error([] { vocab_from_tiktoken_text("IQ== 0\nIQ== 1\n", "bad.tiktoken"); }, "repeats");
    expect_error([] { vocab_from_tiktoken("/nonexistent/x.tiktoken"); }, "cannot open");
}

TEST(TiktokenVocab, SmallFileGetsMergesForEverySplit) {
    // a=0 b=1 c=2 ab=3 bc=4 abc=5: "abc" splits as a|bc and ab|c, sorted by the left half's rank.
    const Vocab v = vocab_from_tiktoken_text("YQ== 0\nYg== 1\nYw== 2\nYWI= 3\nYmM= 4\nYWJj 5\n");
    ASSERT_EQ(v.size(), 6 + 256);
    EXPECT_EQ(v.tokens[5], "abc");
    EXPECT_EQ(v.merges, (std::vector<std::string>{"a b", "b c", "a bc", "ab c"}));
    EXPECT_EQ(v.bos_id, 6);
    EXPECT_EQ(v.eot_id, 15);
}

TEST(GgufVocab, RoundTripsTheLlama3Vocabulary) {
    const Vocab& a = llama3_vocab();
    std::vector<uint8_t> image;
    const Vocab b = gguf_round_trip(a, false, image);
    EXPECT_EQ(b.model, a.model);
    EXPECT_EQ(b.tokens, a.tokens);
    EXPECT_EQ(b.scores, a.scores);
    EXPECT_EQ(b.token_types, a.token_types);
    EXPECT_EQ(b.merges, a.merges);
    EXPECT_EQ(b.bos_id, a.bos_id);
    EXPECT_EQ(b.eos_id, a.eos_id);
    EXPECT_EQ(b.eot_id, 128009);  // inferred from "<|eot_id|>", the key is not written
    EXPECT_EQ(b.pad_id, a.pad_id);
    EXPECT_EQ(b.unk_id, -1);
    EXPECT_TRUE(b.add_bos);
    EXPECT_FALSE(b.pre.has_value());

    const GgufFile f = GgufFile::parse(image.data(), image.size());
    EXPECT_FALSE(f.has("tokenizer.ggml.pre"));
    EXPECT_FALSE(f.has("tokenizer.ggml.eot_token_id"));
    EXPECT_EQ(f.get_array("tokenizer.ggml.tokens", GgufType::STRING).count, 128256u);
    EXPECT_EQ(f.get_array("tokenizer.ggml.merges", GgufType::STRING).count, 280147u);
    EXPECT_EQ(f.get_array("tokenizer.ggml.scores", GgufType::FLOAT32).count, 128256u);
    EXPECT_EQ(f.get_array("tokenizer.ggml.token_type", GgufType::INT32).count, 128256u);
    EXPECT_EQ(f.find("tokenizer.ggml.bos_token_id")->type, GgufType::UINT32);
    EXPECT_EQ(f.find("tokenizer.ggml.padding_token_id")->type, GgufType::UINT32);
    EXPECT_EQ(f.find("tokenizer.ggml.add_bos_token")->type, GgufType::BOOL);
    EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "gpt2");

    const Vocab c = gguf_round_trip(a, true, image);
    ASSERT_TRUE(c.pre.has_value());
    EXPECT_EQ(*c.pre, "llama-bpe");
}

TEST(GgufVocab, MissingTokenizerMetadataIsAClearError) {
    GgufWriter w;
    w.set_string("general.architecture", "bitnet-b1.58");
    const std::vector<uint8_t> image = w.to_bytes();
    expect_error([&] { vocab_from_image(image); }, "model has no tokenizer metadata (tokenizer.ggml.tokens missing)");
}

TEST(GgufVocab, ValidatesArraysAndIds) {
    const Vocab v = tiny_bpe_vocab();
    const auto read_edited = [&](const std::function<void(GgufWriter&)>& edit) {
        GgufWriter w;
        write_vocab(w, v, true);
        edit(w);
        return vocab_from_image(w.to_bytes());
    };
    const auto expect_edit_error = [&](const std::function<void(GgufWriter&)>& edit, const std::string& needle) {
        expect_error([&] { read_edited(edit); }, needle);
    };
    expect_edit_error([](GgufWriter& w) { w.set_f32_array("tokenizer.ggml.scores", {0.f}); },
                      "tokenizer.ggml.scores has 1 entries but tokenizer.ggml.tokens has 261");
    expect_edit_error([](GgufWriter& w) { w.set_i32_array("tokenizer.ggml.token_type", {1, 1}); },
                      "tokenizer.ggml.token_type has 2 entries");
    expect_edit_error([](GgufWriter& w) { w.set_u32("tokenizer.ggml.bos_token_id", 999999); },
                      "tokenizer.ggml.bos_token_id = 999999 is out of range (vocabulary has 261 tokens)");
    expect_edit_error([](GgufWriter& w) { w.set_u32("tokenizer.ggml.eot_token_id", 261); },
                      "tokenizer.ggml.eot_token_id = 261 is out of range");
    std::vector<int32_t> bad_types(261, 1);
    bad_types[7] = 9;
    expect_edit_error([&](GgufWriter& w) { w.set_i32_array("tokenizer.ggml.token_type", bad_types); },
                      "tokenizer.ggml.token_type[7] = 9");
    expect_edit_error([](GgufWriter& w) { w.set_u32("tokenizer.ggml.tokens", 3); }, "tokenizer.ggml.tokens");
    expect_edit_error([](GgufWriter& w) { w.remove("tokenizer.ggml.model"); }, "tokenizer.ggml.model");
    expect_edit_error([](GgufWriter& w) { w.remove("tokenizer.ggml.bos_token_id"); },
                      "add_bos_token is true but there is no tokenizer.ggml.bos_token_id");
    // Negative ids mean "none".
    const Vocab none = read_edited([](GgufWriter& w) { w.set_i32("tokenizer.ggml.padding_token_id", -1); });
    EXPECT_EQ(none.pad_id, -1);
}

TEST(GgufVocab, RoundTripsSmallVocabularyWithExplicitEot) {
    Vocab v = tiny_bpe_vocab();
    v.eot_id = 260;  // not inferable by name, so the key must be written
    v.chat_template = "{{ messages }}";
    std::vector<uint8_t> image;
    const Vocab b = gguf_round_trip(v, true, image);
    EXPECT_EQ(b.eot_id, 260);
    EXPECT_EQ(b.tokens, v.tokens);
    EXPECT_EQ(b.merges, v.merges);
    EXPECT_EQ(b.pre, v.pre);
    EXPECT_EQ(b.chat_template, v.chat_template);
    EXPECT_EQ(b.bos_id, 259);
    EXPECT_EQ(b.eos_id, 260);
}

TEST(GgufVocab, TokenizerRejectsUnknownModelsAndPreTokenizers) {
    Vocab v = tiny_bpe_vocab();
    v.pre = "deepseek-coder";
    expect_error([&] { Tokenizer t(v); }, "unsupported pre-tokenizer 'deepseek-coder'");
    v.pre = "gpt2";
    v.model = "bert";
    expect_error([&] { Tokenizer t(v); }, "unsupported tokenizer model 'bert'");
    v.model = "gpt2";
    v.merges.clear();
    expect_error([&] { Tokenizer t(v); }, "tokenizer.ggml.merges");
    v = tiny_bpe_vocab();
    v.bos_id = 1000;
    expect_error([&] { Tokenizer t(v); }, "BOS id 1000 is out of range");
}
