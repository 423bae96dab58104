// The C API (include/bitnet/bitnet.h) against the C++ internals it wraps: tokenization, token
// accessors, decode + logits, generation and chat, and the error contract (NULL / -1 plus a message).
#include <bitnet/bitnet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/context.hpp"
#include "runtime/loaded_model.hpp"
#include "test_models.hpp"

using namespace bitnet;

namespace {

struct CModel {
    bitnet_model* ptr = bitnet_model_load(test::tiny_model().c_str(), nullptr);
    ~CModel() { bitnet_model_free(ptr); }
};

const CModel& c_model() {
    static const CModel m;
    return m;
}

std::shared_ptr<const LoadedModel> cpp_model() {
    static auto m = LoadedModel::load(test::tiny_model());
    return m;
}

std::vector<int32_t> c_tokenize(const std::string& text, bool bos, bool special) {
    const int64_t n = bitnet_tokenize(c_model().ptr, text.data(), text.size(), bos, special, nullptr, 0);
    EXPECT_GE(n, 0) << bitnet_last_error();
    std::vector<int32_t> out(static_cast<size_t>(std::max<int64_t>(n, 0)));
    EXPECT_EQ(bitnet_tokenize(c_model().ptr, text.data(), text.size(), bos, special, out.data(), out.size()), n);
    return out;
}

struct CSession {
    explicit CSession(int64_t n_ctx = 128) {
        bitnet_session_params p{.n_ctx = n_ctx, .n_batch = 0, .n_threads = 2, .kv_cache_f32 = 0};
        ptr = bitnet_session_new(c_model().ptr, &p);
    }
    ~CSession() { bitnet_session_free(ptr); }
    bitnet_session* ptr = nullptr;
};

int collect(const char* text, size_t len, void* user) {
    static_cast<std::string*>(user)->append(text, len);
    return 1;
}

}  // namespace

TEST(CApi, TokenizeMatchesTheTokenizerAndAsksForRoomFirst) {
    ASSERT_NE(c_model().ptr, nullptr) << bitnet_last_error();
    const std::string text = "Hello, world! Once upon a time.";
    const auto expected = cpp_model()->tokenizer.encode(text, true, false);
    EXPECT_EQ(c_tokenize(text, true, false), expected);
    // Too small a buffer: the count comes back and nothing is written.
    int32_t small[2] = {-7, -7};
    EXPECT_EQ(bitnet_tokenize(c_model().ptr, text.data(), text.size(), 1, 0, small, 2),
              static_cast<int64_t>(expected.size()));
    EXPECT_EQ(small[0], -7);
    // Token bytes round-trip to the text (BOS contributes none when skipped).
    std::string bytes;
    for (size_t i = 1; i < expected.size(); ++i) {
        char buf[64];
        const int64_t n = bitnet_token_to_bytes(c_model().ptr, expected[i], buf, sizeof buf);
        ASSERT_GE(n, 0) << bitnet_last_error();
        bytes.append(buf, static_cast<size_t>(n));
    }
    EXPECT_EQ(bytes, text);
}

TEST(CApi, TokenAccessorsMatchTheVocabulary) {
    const Tokenizer& tok = cpp_model()->tokenizer;
    EXPECT_EQ(bitnet_token_bos(c_model().ptr), tok.bos());
    EXPECT_EQ(bitnet_token_eos(c_model().ptr), tok.eos());
    EXPECT_EQ(bitnet_token_eot(c_model().ptr), tok.eot());
    EXPECT_EQ(bitnet_model_n_vocab(c_model().ptr), static_cast<int32_t>(cpp_model()->config.n_vocab));
    EXPECT_EQ(bitnet_model_n_ctx_train(c_model().ptr), cpp_model()->config.n_ctx_train);
    EXPECT_TRUE(bitnet_token_is_eog(c_model().ptr, tok.eos()));
    const int32_t plain = c_tokenize("a", false, false).at(0);
    EXPECT_FALSE(bitnet_token_is_eog(c_model().ptr, plain));
}

TEST(CApi, DecodeGivesTheContextsLogits) {
    const auto tokens = c_tokenize("The quick brown fox", true, false);
    CSession s;
    ASSERT_NE(s.ptr, nullptr) << bitnet_last_error();
    ASSERT_EQ(bitnet_session_decode(s.ptr, tokens.data(), tokens.size()), 0) << bitnet_last_error();
    EXPECT_EQ(bitnet_session_n_past(s.ptr), static_cast<int64_t>(tokens.size()));
    const float* logits = bitnet_session_logits(s.ptr);
    ASSERT_NE(logits, nullptr);

    ContextOptions o;
    o.n_ctx = 128;
    o.n_threads = 2;
    InferenceContext ctx(cpp_model(), o);
    ctx.decode(tokens);
    const auto expected = ctx.logits();
    ASSERT_EQ(expected.size(), static_cast<size_t>(bitnet_model_n_vocab(c_model().ptr)));
    for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(logits[i], expected[i]) << i;

    // Decoding more continues the sequence; reset empties it.
    const int32_t next = tokens[1];
    ASSERT_EQ(bitnet_session_decode(s.ptr, &next, 1), 0);
    EXPECT_EQ(bitnet_session_n_past(s.ptr), static_cast<int64_t>(tokens.size() + 1));
    ASSERT_EQ(bitnet_session_reset(s.ptr), 0);
    EXPECT_EQ(bitnet_session_n_past(s.ptr), 0);
}

TEST(CApi, MappedWeightsGiveTheSameLogits) {
    const bitnet_model_params params{.n_threads = 2, .weight_layout = nullptr, .head_type = nullptr, .use_mmap = 1};
    bitnet_model* mapped = bitnet_model_load(test::tiny_model().c_str(), &params);
    ASSERT_NE(mapped, nullptr) << bitnet_last_error();
    const auto tokens = c_tokenize("The quick brown fox", true, false);
    bitnet_session_params p{.n_ctx = 64, .n_batch = 0, .n_threads = 2, .kv_cache_f32 = 0};
    bitnet_session* a = bitnet_session_new(mapped, &p);
    bitnet_session* b = bitnet_session_new(c_model().ptr, &p);
    ASSERT_EQ(bitnet_session_decode(a, tokens.data(), tokens.size()), 0) << bitnet_last_error();
    ASSERT_EQ(bitnet_session_decode(b, tokens.data(), tokens.size()), 0) << bitnet_last_error();
    const auto n = static_cast<size_t>(bitnet_model_n_vocab(mapped));
    EXPECT_EQ(std::memcmp(bitnet_session_logits(a), bitnet_session_logits(b), n * sizeof(float)), 0);
    bitnet_session_free(a);
    bitnet_session_free(b);
    bitnet_model_free(mapped);
}

TEST(CApi, ChatKeepsTheConversationInTheSession) {
    CSession s(256);
    bitnet_generate_params gp = bitnet_generate_default_params();
    gp.max_tokens = 6;
    gp.temperature = 0.0f;
    std::string first;
    const int64_t n1 = bitnet_chat(s.ptr, "Be brief.", "Hello!", &gp, collect, &first);
    ASSERT_GT(n1, 0) << bitnet_last_error();
    const int64_t after_first = bitnet_session_n_past(s.ptr);
    EXPECT_GT(after_first, n1) << "the system prompt and the user turn are in the context";
    std::string second;
    const int64_t n2 = bitnet_chat(s.ptr, nullptr, "And again?", &gp, collect, &second);
    ASSERT_GT(n2, 0) << bitnet_last_error();
    EXPECT_GT(bitnet_session_n_past(s.ptr), after_first + n2) << "the second turn is appended, not restarted";
}

TEST(CApi, ErrorsReturnMinusOneWithAMessage) {
    EXPECT_EQ(bitnet_model_load("/nonexistent/model.gguf", nullptr), nullptr);
    EXPECT_NE(std::string(bitnet_last_error()).find("/nonexistent/model.gguf"), std::string::npos);

    CSession s(16);
    const auto tokens = c_tokenize(std::string(100, 'x'), true, false);
    EXPECT_EQ(bitnet_session_decode(s.ptr, tokens.data(), tokens.size()), -1);
    EXPECT_NE(std::string(bitnet_last_error()), "");
    const int32_t bad = 1 << 30;
    EXPECT_EQ(bitnet_session_decode(s.ptr, &bad, 1), -1);
    EXPECT_NE(std::string(bitnet_last_error()).find(std::to_string(bad)), std::string::npos) << bitnet_last_error();
    EXPECT_EQ(bitnet_tokenize(nullptr, "x", 1, 1, 0, nullptr, 0), -1);
    char buf[8];
    EXPECT_EQ(bitnet_token_to_bytes(c_model().ptr, -3, buf, sizeof buf), -1);
    EXPECT_EQ(bitnet_chat(nullptr, nullptr, "x", nullptr, nullptr, nullptr), -1);
}
