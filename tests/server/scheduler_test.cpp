// The continuous-batching scheduler, driven step by step on the test's thread: slot assignment
// and queueing, chunked prefill interleaved with decoding, cancellation, the prompt cache, and
// results identical to generating alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "core/error.hpp"
#include "runtime/generate.hpp"
#include "server/scheduler.hpp"
#include "test_models.hpp"

using namespace bitnet;
using namespace bitnet::server;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<InferenceContext> make_context(int n_slots, int64_t n_ctx = 128, int64_t n_batch = 64) {
    ContextOptions o;
    o.n_seq = n_slots;
    o.n_ctx = n_ctx;
    o.n_batch = n_batch;
    o.n_threads = 2;
    return std::make_unique<InferenceContext>(LoadedModel::load(test::tiny_model()), o);
}

GenerationRequest request(std::vector<int32_t> prompt, int32_t max_tokens, uint64_t seed = 1) {
    GenerationRequest r;
    r.prompt = std::move(prompt);
    r.max_tokens = max_tokens;
    r.sampling.temperature = 0.8f;
    r.sampling.seed = seed;
    return r;
}

std::vector<int32_t> prompt_of(int n, int32_t first = 5) {
    std::vector<int32_t> p;
    for (int i = 0; i < n; ++i) p.push_back(first + (i * 7) % 200);
    return p;
}

// Everything a channel has received so far.
struct Collected {
    std::string text;
    int n_text_events = 0;
    bool done = false;
    Event final_event;
};

void drain(Channel& c, Collected& out) {
    Event e;
    while (c.pop(e, 0ms)) {
        if (e.kind == Event::Kind::text) {
            out.text += e.text;
            out.n_text_events++;
        } else {
            out.done = true;
            out.final_event = e;
        }
    }
}

// Steps until every channel is done (bounded).
void run_all(Scheduler& s, std::vector<std::pair<std::shared_ptr<Channel>, Collected*>> chans) {
    for (int i = 0; i < 1000; ++i) {
        bool all = true;
        for (auto& [c, out] : chans) {
            drain(*c, *out);
            all = all && out->done;
        }
        if (all) return;
        s.step();
    }
    FAIL() << "requests did not finish";
}

}  // namespace

TEST(Scheduler, QueuesBeyondTheSlotsAndAssignsFreedSlots) {
    auto ctx = make_context(2);
    Scheduler s(*ctx, {2, 8});
    auto a = s.submit(request(prompt_of(10), 4));
    auto b = s.submit(request(prompt_of(12, 9), 4));
    auto c = s.submit(request(prompt_of(8, 11), 4));
    s.step();
    EXPECT_EQ(s.stats().requests_processing, 2);
    EXPECT_EQ(s.stats().requests_waiting, 1);
    Collected ca, cb, cc;
    run_all(s, {{a, &ca}, {b, &cb}});
    EXPECT_EQ(ca.final_event.usage.completion_tokens, 4);
    EXPECT_EQ(ca.final_event.finish, FinishReason::length);
    s.step();  // c takes a freed slot
    EXPECT_EQ(s.stats().requests_waiting, 0);
    EXPECT_EQ(s.stats().requests_processing, 1);
    run_all(s, {{c, &cc}});
    EXPECT_EQ(s.stats().requests_processing, 0);
    EXPECT_EQ(s.stats().generated_tokens_total, 12);
}

TEST(Scheduler, RefusesWhenTheQueueIsFullAndPromptsThatCannotFit) {
    auto ctx = make_context(1, 64);
    Scheduler s(*ctx, {1, 1});
    auto a = s.submit(request(prompt_of(4), 2));  // takes the free slot at the next step
    auto b = s.submit(request(prompt_of(4), 2));  // the one waiting place
    EXPECT_THROW(s.submit(request(prompt_of(4), 2)), QueueFull);
    EXPECT_THROW(s.submit(request(prompt_of(64), 2)), Error);  // a prompt must leave room to reply
    EXPECT_THROW(s.submit(request({}, 2)), Error);
    EXPECT_THROW(s.submit(request({1, 999999}, 2)), Error);
}

TEST(Scheduler, AQueueOfZeroStillFillsFreeSlots) {
    auto ctx = make_context(2, 64);
    Scheduler s(*ctx, {2, 0});
    auto a = s.submit(request(prompt_of(4), 8));
    s.step();  // a runs
    auto b = s.submit(request(prompt_of(5), 8));
    EXPECT_THROW(s.submit(request(prompt_of(6), 8)), QueueFull);
    Collected ca, cb;
    run_all(s, {{a, &ca}, {b, &cb}});
    EXPECT_EQ(cb.final_event.usage.completion_tokens, 8);
}

TEST(Scheduler, ARequestCancelledWhileWaitingIsNeverEvaluated) {
    auto ctx = make_context(1);
    Scheduler s(*ctx, {1, 8});
    auto a = s.submit(request(prompt_of(6), 5));
    auto b = s.submit(request(prompt_of(40, 20), 5));
    auto c = s.submit(request(prompt_of(7, 30), 5));
    s.step();
    b->cancel();  // the client left while b waited behind a
    s.step();
    EXPECT_EQ(s.stats().requests_waiting, 1);  // only c
    Collected ca, cc;
    run_all(s, {{a, &ca}, {c, &cc}});
    EXPECT_EQ(s.stats().prompt_tokens_total, 6 + 7);  // b's 40 prompt tokens never ran
}

TEST(Scheduler, LongPromptIsChunkedBetweenDecodeSteps) {
    // Batch of 8: a 60-token prompt arriving while another request generates must not hold that
    // request back: every step still advances it by one token.
    auto ctx = make_context(2, 128, 8);
    Scheduler s(*ctx, {2, 8});
    GenerationRequest running = request(prompt_of(5), 30);
    running.ignore_eos = true;  // keeps generating for the whole test
    auto gen = s.submit(running);
    Collected cg;
    for (int i = 0; i < 3; ++i) s.step();
    drain(*gen, cg);
    const int before = cg.n_text_events;
    auto longp = s.submit(request(prompt_of(60, 3), 2));
    int steps = 0;
    Collected cl;
    while (!cl.done && steps < 100) {
        const int64_t gen_tokens_before = s.stats().generated_tokens_total;
        const int64_t prompt_before = s.stats().prompt_tokens_total;
        s.step();
        ++steps;
        drain(*longp, cl);
        // One decode token for the running request, the rest of the batch (7) for the prompt.
        EXPECT_LE(s.stats().prompt_tokens_total - prompt_before, 7);
        EXPECT_GE(s.stats().generated_tokens_total - gen_tokens_before, 1);
    }
    EXPECT_TRUE(cl.done);
    EXPECT_GE(steps, 60 / 7);  // the prompt really took several steps
    drain(*gen, cg);
    EXPECT_GT(cg.n_text_events + static_cast<int>(cg.done), before);
}

TEST(Scheduler, CancelledRequestFreesItsSlotAtTheNextStep) {
    auto ctx = make_context(1);
    Scheduler s(*ctx, {1, 8});
    auto a = s.submit(request(prompt_of(6), -1));
    auto b = s.submit(request(prompt_of(6, 20), 3));
    for (int i = 0; i < 3; ++i) s.step();
    EXPECT_EQ(s.stats().requests_waiting, 1);
    a->cancel();
    s.step();
    Collected ca;
    drain(*a, ca);
    ASSERT_TRUE(ca.done);
    EXPECT_EQ(ca.final_event.finish, FinishReason::cancelled);
    EXPECT_EQ(s.stats().requests_waiting, 0);  // b got the slot in the same step
    Collected cb;
    run_all(s, {{b, &cb}});
    EXPECT_EQ(cb.final_event.usage.completion_tokens, 3);
}

TEST(Scheduler, PromptCacheReusesASlotsTokens) {
    auto ctx = make_context(2);
    Scheduler s(*ctx, {2, 8});
    const std::vector<int32_t> turn1 = prompt_of(20);
    Collected c1;
    run_all(s, {{s.submit(request(turn1, 5)), &c1}});
    EXPECT_EQ(c1.final_event.usage.cached_tokens, 0);
    // The next turn resends the history and adds to it.
    std::vector<int32_t> turn2 = turn1;
    for (int32_t t : prompt_of(6, 40)) turn2.push_back(t);
    Collected c2;
    run_all(s, {{s.submit(request(turn2, 5)), &c2}});
    EXPECT_EQ(c2.final_event.usage.cached_tokens, 20);
    EXPECT_EQ(s.stats().prompt_cache_hits, 1);
    EXPECT_EQ(s.stats().prompt_cache_hit_tokens, 20);
    // The same prompt again: all but the last token come from the cache.
    Collected c3;
    run_all(s, {{s.submit(request(turn2, 5)), &c3}});
    EXPECT_EQ(c3.final_event.usage.cached_tokens, static_cast<int64_t>(turn2.size()) - 1);
    EXPECT_EQ(c3.text, c2.text);  // cached or not, the same seed gives the same text
}

TEST(Scheduler, OutputDoesNotDependOnOtherRequests) {
    const GenerationRequest r = request(prompt_of(9), 12, 77);
    std::string alone;
    {
        auto ctx = make_context(4);
        Scheduler s(*ctx, {4, 8});
        Collected c;
        run_all(s, {{s.submit(r), &c}});
        alone = c.text;
    }
    // The same request joining mid-way among three others, with a small batch (chunked prompts).
    auto ctx = make_context(4, 128, 6);
    Scheduler s(*ctx, {4, 8});
    Collected c1, c2, c3, mine;
    auto o1 = s.submit(request(prompt_of(15, 2), 20, 1));
    auto o2 = s.submit(request(prompt_of(4, 3), 20, 2));
    s.step();
    auto m = s.submit(r);
    auto o3 = s.submit(request(prompt_of(30, 4), 20, 3));
    run_all(s, {{o1, &c1}, {o2, &c2}, {m, &mine}, {o3, &c3}});
    EXPECT_EQ(mine.text, alone);
    EXPECT_FALSE(alone.empty());
}

TEST(Scheduler, MatchesTheSingleSequenceGenerateLoop) {
    const GenerationRequest r = request(prompt_of(11), 10, 5);
    std::string expected;
    {
        auto ctx = make_context(1);
        Sampler sampler(r.sampling, static_cast<int32_t>(ctx->n_vocab()));
        GenerateParams gp;
        gp.n_predict = r.max_tokens;
        expected = generate(*ctx, r.prompt, gp, sampler, {}).text;
    }
    auto ctx = make_context(2);
    Scheduler s(*ctx, {2, 8});
    Collected c;
    run_all(s, {{s.submit(r), &c}});
    EXPECT_EQ(c.text, expected);
}

TEST(Scheduler, StopStringsEndTheReplyBeforeTheStop) {
    auto ctx = make_context(1);
    Scheduler s(*ctx, {1, 8});
    Collected free_run;
    run_all(s, {{s.submit(request(prompt_of(7), 16, 9)), &free_run}});
    ASSERT_GE(free_run.text.size(), 4u);
    GenerationRequest r = request(prompt_of(7), 16, 9);
    r.stop = {free_run.text.substr(2, 2)};
    Collected stopped;
    run_all(s, {{s.submit(r), &stopped}});
    EXPECT_EQ(stopped.final_event.finish, FinishReason::stop);
    EXPECT_EQ(stopped.text, free_run.text.substr(0, free_run.text.find(r.stop[0])));
}

TEST(Scheduler, LogprobsAreNormalisedAndRankTheSampledToken) {
    auto ctx = make_context(1);
    Scheduler s(*ctx, {1, 8});
    GenerationRequest r = request(prompt_of(7), 4, 9);
    r.sampling.temperature = 0.0f;  // greedy: the sampled token is the most likely one
    r.top_logprobs = 3;
    auto c = s.submit(r);
    std::vector<TokenInfo> infos;
    for (int i = 0; i < 50; ++i) {
        s.step();
        Event e;
        while (c->pop(e, 0ms)) {
            for (auto& t : e.tokens) infos.push_back(t);
        }
    }
    ASSERT_EQ(infos.size(), 4u);
    for (const TokenInfo& t : infos) {
        ASSERT_EQ(t.top.size(), 3u);
        EXPECT_EQ(t.top[0].id, t.token.id);
        EXPECT_LE(t.token.logprob, 0.0f);
        EXPECT_GE(t.top[0].logprob, t.top[1].logprob);
        EXPECT_GE(t.top[1].logprob, t.top[2].logprob);
    }
}

// Each log-probability entry carries where its token's text starts in the reply; the end token
// and tokens past a stop string have none. (The tiny model's bytes are often not UTF-8, and
// become U+FFFD in the text, so offsets are checked rather than spelling.)
TEST(Scheduler, LogprobEntriesCoverTheReplyUpToAStopString) {
    auto ctx = make_context(1);
    Scheduler s(*ctx, {1, 8});
    Collected free_run;
    run_all(s, {{s.submit(request(prompt_of(7), 24, 4)), &free_run}});
    ASSERT_GE(free_run.text.size(), 8u);
    size_t n_free = 0;
    for (bool with_stop : {false, true}) {
        GenerationRequest r = request(prompt_of(7), 24, 4);
        r.top_logprobs = 0;
        if (with_stop) r.stop = {free_run.text.substr(5, 3)};
        auto c = s.submit(r);
        std::string text;
        std::vector<size_t> offsets;
        Event last;
        for (int i = 0; i < 200 && last.kind == Event::Kind::text; ++i) {
            s.step();
            Event e;
            while (c->pop(e, 0ms)) {
                for (const TokenInfo& t : e.tokens) {
                    // Sent no earlier than its text begins.
                    EXPECT_LE(t.text_offset, text.size() + e.text.size());
                    offsets.push_back(t.text_offset);
                }
                text += e.text;
                last = e;
            }
        }
        ASSERT_EQ(last.kind, Event::Kind::done);
        ASSERT_FALSE(offsets.empty());
        EXPECT_EQ(offsets.front(), 0u);
        EXPECT_TRUE(std::is_sorted(offsets.begin(), offsets.end()));
        for (size_t o : offsets) EXPECT_LT(o, text.size());
        if (!with_stop) {
            n_free = offsets.size();
            EXPECT_EQ(static_cast<int64_t>(n_free), last.usage.completion_tokens);  // 24 tokens, no end token
        } else {
            EXPECT_EQ(text, free_run.text.substr(0, free_run.text.find(r.stop[0])));
            EXPECT_LT(offsets.size(), n_free);
        }
    }
}

TEST(Scheduler, ShutdownEndsRunningAndWaitingRequests) {
    auto ctx = make_context(1);
    Scheduler s(*ctx, {1, 8});
    auto a = s.submit(request(prompt_of(6), -1));
    auto b = s.submit(request(prompt_of(6), 4));
    s.step();
    s.shutdown();
    for (auto* c : {a.get(), b.get()}) {
        Event e;
        bool error = false;
        while (c->pop(e, 0ms)) error = error || e.kind == Event::Kind::error;
        EXPECT_TRUE(error);
    }
    EXPECT_THROW(s.submit(request(prompt_of(3), 1)), QueueFull);
}
