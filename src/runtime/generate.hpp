#pragma once
// Text generation on an InferenceContext: evaluates the prompt after the context's history,
// then samples token by token, streaming complete UTF-8 text to a callback. Stops at an
// end-of-generation token, a stop string, the token limit, a full context, or when the callback
// asks to cancel.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/context.hpp"
#include "sampling/sampler.hpp"

namespace bitnet {

struct GenerateParams {
    int32_t n_predict = -1;         // -1: until an end token or the context is full
    std::vector<std::string> stop;  // stop strings (not included in the output)
};

enum class StopReason { end_of_generation, length, stop_string, context_full, cancelled };
const char* stop_reason_name(StopReason reason);

struct GenerateResult {
    std::string text;             // what was streamed
    std::vector<int32_t> tokens;  // generated ids (an end token is included, not evaluated)
    StopReason reason = StopReason::length;
    int64_t n_prompt = 0;
    double prompt_seconds = 0.0;
    double generate_seconds = 0.0;
    // Whether the last generated token was evaluated into the context (false for an end token or
    // when the context filled up).
    bool last_evaluated = false;
};

// Return false to stop generating.
using TextCallback = std::function<bool(std::string_view text)>;

// Fails with a message naming both sizes unless n_prompt more tokens leave room to generate in
// the context (generate() checks this too; callers that print the prompt check it first).
void check_prompt_fits(const InferenceContext& ctx, int64_t n_prompt);

GenerateResult generate(InferenceContext& ctx, std::span<const int32_t> prompt, const GenerateParams& params,
                        Sampler& sampler, const TextCallback& on_text);

}  // namespace bitnet
