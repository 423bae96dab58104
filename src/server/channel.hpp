#pragma once
// What a running request sends back from the scheduler thread to the HTTP thread that waits
// for it: pieces of text with their tokens (and log-probabilities when asked), then one final
// event. The HTTP side may cancel at any time (client gone); the scheduler frees the slot at its
// next step.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace bitnet::server {

struct TokenLogprob {
    int32_t id = 0;
    std::string bytes;  // the token's raw bytes (may be part of a UTF-8 character)
    float logprob = 0.0f;
};

// One generated token with the model's log-probability and its most likely alternatives.
struct TokenInfo {
    TokenLogprob token;
    std::vector<TokenLogprob> top;
    size_t text_offset = 0;  // where the token's text starts in the reply, in bytes
};

enum class FinishReason { stop, length, cancelled };
const char* finish_reason_name(FinishReason reason);

struct Usage {
    int64_t prompt_tokens = 0;
    int64_t cached_tokens = 0;  // of prompt_tokens, reused from the slot's cache
    int64_t completion_tokens = 0;
    double prompt_ms = 0.0;     // admission to the first generated token
    double generation_ms = 0.0;
};

struct Event {
    enum class Kind { text, done, error } kind = Kind::text;
    std::string text;               // text: whole UTF-8 characters
    std::vector<TokenInfo> tokens;  // text: tokens since the last event (when logprobs were asked)
    FinishReason finish = FinishReason::stop;  // done
    Usage usage;                                // done
    std::string error;                          // error
    int status = 500;                           // error: HTTP status
};

class Channel {
public:
    void push(Event e) {
        {
            std::lock_guard lock(mu_);
            events_.push_back(std::move(e));
        }
        cv_.notify_one();
    }
    // Waits up to `timeout` for the next event; false if none came.
    bool pop(Event& out, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return false;
        out = std::move(events_.front());
        events_.pop_front();
        return true;
    }
    void cancel() { cancelled_.store(true, std::memory_order_release); }
    bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> events_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace bitnet::server
