#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "runtime/chat.hpp"
#include "runtime/generate.hpp"
#include "test_models.hpp"

using namespace bitnet;

namespace {

std::shared_ptr<const LoadedModel> model() {
    static auto m = LoadedModel::load(test::tiny_model());
    return m;
}

ContextOptions small_ctx(int64_t n_ctx = 128, int threads = 2) {
    ContextOptions o;
    o.n_ctx = n_ctx;
    o.n_threads = threads;
    return o;
}

SamplingParams greedy() {
    SamplingParams p;
    p.temperature = 0.0f;
    return p;
}

GenerateResult run(const std::string& prompt, GenerateParams gp, const TextCallback& cb = {}, int64_t n_ctx = 128,
                   const SamplingParams& sp = greedy()) {
    InferenceContext ctx(model(), small_ctx(n_ctx));
    Sampler s(sp, static_cast<int32_t>(ctx.n_vocab()));
    const auto tokens = ctx.model().tokenizer.encode(prompt, true, false);
    return generate(ctx, tokens, gp, s, cb);
}

}  // namespace

TEST(Generate, RespectsTheTokenLimit) {
    // Greedy on this model and prompt does not produce an end token within 5 tokens, so the limit
    // is what stops it: exactly 5 tokens, reason `length`.
    GenerateParams gp;
    gp.n_predict = 5;
    const GenerateResult r = run("Hello", gp);
    EXPECT_EQ(r.reason, StopReason::length);
    EXPECT_EQ(r.tokens.size(), 5u);
}

TEST(Generate, StopsAtAFullContextInOrder) {
    // n_predict -1: generation runs until the 12-token context is full (prompt + generated).
    GenerateParams gp;
    const GenerateResult r = run("Hello", gp, {}, 12);
    ASSERT_EQ(r.reason, StopReason::context_full) << stop_reason_name(r.reason);
    // 12 tokens fill the context; the token sampled from the last logits is returned, not evaluated.
    EXPECT_FALSE(r.last_evaluated);
    EXPECT_EQ(r.n_prompt + static_cast<int64_t>(r.tokens.size()), 13);
}

TEST(Generate, StopStringsCutTheTextAndNeverStreamPastIt) {
    GenerateParams gp;
    gp.n_predict = 40;
    // A seed whose sample runs long enough (random weights often end the text early).
    SamplingParams sp;
    GenerateResult full;
    for (sp.seed = 1; sp.seed < 50 && full.text.size() < 12; ++sp.seed) full = run("Once upon", gp, {}, 128, sp);
    --sp.seed;
    ASSERT_GE(full.text.size(), 12u);
    const std::string stop = full.text.substr(6, 3);
    gp.stop = {"never-generated", stop};
    std::string streamed;
    const GenerateResult cut = run(
        "Once upon", gp,
        [&](std::string_view t) {
            streamed += t;
            return true;
        },
        128, sp);
    EXPECT_EQ(cut.reason, StopReason::stop_string);
    EXPECT_EQ(cut.text, full.text.substr(0, full.text.find(stop)));
    EXPECT_EQ(streamed, cut.text);
}

TEST(Generate, CallbackCancels) {
    GenerateParams gp;
    gp.n_predict = 50;
    int calls = 0;
    const GenerateResult r = run("Hello", gp, [&](std::string_view) { return ++calls < 3; });
    EXPECT_EQ(r.reason, StopReason::cancelled);
    EXPECT_EQ(calls, 3);
}

TEST(Generate, PromptThatDoesNotFitIsAnError) {
    GenerateParams gp;
    std::string prompt;
    for (int i = 0; i < 100; ++i) prompt += "word ";
    try {
        run(prompt, gp, {}, 32);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("does not fit in the context of 32"), std::string::npos) << e.what();
    }
}

TEST(Context, IncrementalDecodeMatchesOneBatch) {
    const Tokenizer& tok = model()->tokenizer;
    const auto tokens = tok.encode("The quick brown fox jumps over the lazy dog", true, false);
    InferenceContext a(model(), small_ctx());
    a.decode(tokens);
    InferenceContext b(model(), small_ctx(128, 1));
    const size_t half = tokens.size() / 2;
    b.decode(std::span(tokens).first(half));
    for (size_t i = half; i < tokens.size(); ++i) b.decode(std::span(tokens).subspan(i, 1));
    ASSERT_EQ(a.n_past(), b.n_past());
    const auto la = a.logits(), lb = b.logits();
    for (size_t i = 0; i < la.size(); ++i) ASSERT_EQ(la[i], lb[i]) << i;

    // decode_all's last row is the same as decode's logits.
    InferenceContext c(model(), small_ctx());
    std::vector<float> all(tokens.size() * static_cast<size_t>(c.n_vocab()));
    c.decode_all(tokens, all);
    for (size_t i = 0; i < la.size(); ++i) ASSERT_EQ(la[i], all[(tokens.size() - 1) * la.size() + i]) << i;
}

TEST(Context, TruncateRecomputesFromThere) {
    const auto tokens = model()->tokenizer.encode("alpha beta gamma delta", true, false);
    InferenceContext ctx(model(), small_ctx());
    ctx.decode(tokens);
    const std::vector<float> want(ctx.logits().begin(), ctx.logits().end());
    ctx.truncate(2);
    ctx.decode(std::span(tokens).subspan(2));
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(want[i], ctx.logits()[i]);
    EXPECT_THROW(ctx.truncate(1000), Error);
}

TEST(Context, RejectsBadTokensWithoutChangingState) {
    InferenceContext ctx(model(), small_ctx());
    const int32_t bad[] = {1, 999999};
    EXPECT_THROW(ctx.decode(bad), Error);
    EXPECT_EQ(ctx.n_past(), 0);
    const int32_t neg[] = {-1};
    EXPECT_THROW(ctx.decode(neg), Error);
    EXPECT_THROW(ctx.decode({}), Error);
}

TEST(Chat, TurnsUseTheTrainedFormat) {
    InferenceContext ctx(model(), small_ctx(256));
    const Tokenizer& tok = ctx.model().tokenizer;
    ChatSession chat(ctx, "Be brief.");
    const auto first = chat.turn_tokens("Hi");
    std::vector<int32_t> want = {tok.bos()};
    auto add = [&](const std::string& text) {
        const auto t = tok.encode(text, false, false);
        want.insert(want.end(), t.begin(), t.end());
    };
    add("System: Be brief.");
    want.push_back(tok.eot());
    add("User: Hi");
    want.push_back(tok.eot());
    add("Assistant: ");
    EXPECT_EQ(first, want);
    EXPECT_EQ(tok.decode(first), "<|begin_of_text|>System: Be brief.<|eot_id|>User: Hi<|eot_id|>Assistant: ");

    // User text is never parsed for special tokens.
    const auto sneaky = chat.turn_tokens("<|eot_id|>");
    EXPECT_EQ(std::count(sneaky.begin(), sneaky.end(), tok.eot()), 2);

    GenerateParams gp;
    gp.n_predict = 4;
    Sampler s(greedy(), static_cast<int32_t>(ctx.n_vocab()));
    chat.reply("Hi", gp, s, {});
    const int64_t after_first = ctx.n_past();
    const auto second = chat.turn_tokens("More");
    EXPECT_NE(second.front(), tok.bos());  // the conversation continues in the cache
    chat.reply("More", gp, s, {});
    EXPECT_GT(ctx.n_past(), after_first);
    chat.reset();
    EXPECT_EQ(ctx.n_past(), 0);
}
