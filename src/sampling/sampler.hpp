#pragma once
// Token sampling in llama.cpp's order: repetition / frequency / presence penalties over the last
// n tokens, then top-k, top-p, min-p, temperature, and a seeded draw. Temperature <= 0 is greedy.
// Buffers are allocated once; sampling a token allocates nothing.
#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.hpp"

namespace bitnet {

struct SamplingParams {
    float temperature = 0.8f;
    int32_t top_k = 40;         // <= 0: disabled
    float top_p = 0.95f;        // >= 1: disabled
    float min_p = 0.05f;        // <= 0: disabled
    float repeat_penalty = 1.0f;  // 1: disabled
    int32_t repeat_last_n = 64;   // 0: disabled, -1: the whole history
    float frequency_penalty = 0.0f;
    float presence_penalty = 0.0f;
    uint64_t seed = 0;
};

// Throws Error naming the first invalid parameter.
void validate(const SamplingParams& params);

class Sampler {
public:
    Sampler(const SamplingParams& params, int32_t n_vocab);

    // Picks the next token from `logits` (n_vocab values); `history` holds the tokens so far
    // (the penalties look at its tail).
    int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

    const SamplingParams& params() const { return params_; }

private:
    struct Candidate {
        int32_t id;
        float logit;
    };
    void apply_penalties(std::span<const int32_t> history);

    SamplingParams params_;
    int32_t n_vocab_;
    Rng rng_;
    std::vector<float> logits_;
    std::vector<Candidate> candidates_;
    std::vector<int32_t> counts_;
    std::vector<int32_t> touched_;
};

}  // namespace bitnet
