#pragma once
// Continuous batching over the slots of one InferenceContext (one sequence and KV cache per
// slot). A single engine thread runs steps; each step is one forward pass holding the next token
// of every generating slot and then chunks of waiting prompts, up to the batch size, so a new
// request joins at the next step and a long prompt is processed piece by piece between the
// decode steps of the others. A finished or cancelled request frees its slot at once.
//
// Prompt cache: a free slot keeps its tokens; a new request goes to the free slot whose tokens
// share the longest prefix with its prompt and evaluates only the rest (a chat that resends its
// history evaluates only the new turn).
//
// Results are bit-identical to running each request alone (see Forward): a request's greedy or
// seeded output never depends on what else is running.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/context.hpp"
#include "runtime/stop_filter.hpp"
#include "sampling/sampler.hpp"
#include "server/channel.hpp"
#include "tokenizer/stream_decoder.hpp"

namespace bitnet::server {

struct GenerationRequest {
    std::vector<int32_t> prompt;
    SamplingParams sampling;
    int32_t max_tokens = -1;  // -1: until an end token or the slot's context is full
    std::vector<std::string> stop;
    bool ignore_eos = false;
    int top_logprobs = -1;  // -1: no log-probabilities; otherwise also the top N alternatives
};

struct SchedulerOptions {
    int n_slots = 1;
    int64_t max_queue = 64;  // waiting requests beyond this are refused (HTTP 503)
};

// Counters for /metrics (a snapshot).
struct SchedulerStats {
    int64_t prompt_tokens_total = 0;    // evaluated prompt tokens (cache hits excluded)
    int64_t generated_tokens_total = 0;
    double prompt_seconds_total = 0.0;  // forward-pass time spent on prompt tokens
    double generation_seconds_total = 0.0;
    int64_t requests_total = 0;
    int64_t requests_processing = 0;
    int64_t requests_waiting = 0;
    int64_t prompt_cache_hits = 0;         // requests that reused cached tokens
    int64_t prompt_cache_hit_tokens = 0;   // tokens they reused
    int64_t kv_tokens_used = 0;            // tokens held in all slots' caches
    int64_t kv_tokens_capacity = 0;
    int64_t steps_total = 0;
};

class QueueFull : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Scheduler {
public:
    // The context must have options.n_slots sequences; the scheduler owns its use from now on.
    Scheduler(InferenceContext& ctx, const SchedulerOptions& options);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Queues a request; events arrive on the returned channel. Throws QueueFull when the queue is
    // full, Error when the request cannot run at all (prompt empty or longer than a slot).
    std::shared_ptr<Channel> submit(GenerationRequest request);
    // Cancels everything (running and waiting requests end with an error event) and stops the
    // engine thread; submit() refuses from then on.
    void shutdown();

    SchedulerStats stats() const;
    int64_t slot_context() const { return ctx_.n_ctx(); }
    int n_slots() const { return static_cast<int>(slots_.size()); }

    // Runs one step on the calling thread (tests drive the scheduler this way without start()).
    // Returns false when there was nothing to do.
    bool step();
    // Starts the engine thread, which runs steps while there is work.
    void start();

private:
    struct Pending {
        GenerationRequest request;
        std::shared_ptr<Channel> channel;
    };
    struct Slot;

    void admit();
    void assign(Slot& slot, Pending&& pending);
    void finish(Slot& slot, FinishReason reason);
    void after_logits(Slot& slot, std::span<float> logits);
    void emit(Slot& slot, std::string text, bool all_tokens);
    TokenInfo token_info(std::span<const float> logits, int32_t id, int top) const;
    void run();

    InferenceContext& ctx_;
    SchedulerOptions options_;
    std::vector<std::unique_ptr<Slot>> slots_;
    std::vector<BatchToken> batch_;
    std::vector<Slot*> logit_owner_;  // slot whose logits are in row j of logits_
    std::vector<float> logits_;
    std::vector<int32_t> eog_;  // end-of-generation ids, masked for ignore_eos

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    bool stopping_ = false;
    SchedulerStats stats_;
    std::thread thread_;
};

}  // namespace bitnet::server
