#pragma once
// `bitnet perplexity`, llama.cpp's method: the text's tokens (BOS first) are cut into chunks of
// n_ctx tokens; each chunk is evaluated from an empty cache with BOS in place of its first token,
// and its second half is scored (positions n_ctx/2 .. n_ctx-2, each predicting the next token).
// The same run can save llama.cpp's logits file, and a later run of another model (or engine)
// can compare itself against that file: KL divergence, PPL of both, top-token agreement.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tools/perplexity_stats.hpp"

namespace bitnet {

class InferenceContext;
class LogitsFileReader;

struct PerplexityOptions {
    int64_t max_chunks = -1;  // -1: every whole chunk of the text
    std::string save_logits;  // write llama.cpp's logits file here ("": none)
    bool progress = true;     // running PPL and a progress bar on stderr
};

struct PerplexityResult {
    int64_t n_tokens = 0;  // tokens of the whole text
    int64_t n_ctx = 0;
    int64_t n_chunks = 0;
    int64_t n_scored = 0;           // tokens scored in all chunks
    Estimate ppl;                   // exp(mean NLL), uncertainty PPL * stderr(NLL)
    Estimate nll;                   // mean NLL per token and its standard error
    std::vector<double> chunk_ppl;  // running PPL after each chunk
    double seconds = 0.0;
};

// Needs at least 2 * n_ctx tokens (llama.cpp's condition); n_ctx is ctx.n_ctx().
PerplexityResult run_perplexity(InferenceContext& ctx, std::span<const int32_t> tokens,
                                const PerplexityOptions& options);

struct KldOptions {
    int64_t max_chunks = -1;  // -1: every chunk of the file
    bool progress = true;     // a row per chunk and a progress bar on stderr
};

struct KldResult {
    int64_t n_ctx = 0;
    int64_t n_vocab = 0;
    int64_t n_chunks = 0;  // chunks evaluated
    KldSummary summary;
    std::vector<KldRunning> chunks;  // running figures after each chunk
    double seconds = 0.0;
};

// Evaluates the tokens stored in `base` and compares with its records. ctx must hold at least
// the file's n_ctx tokens and the model's vocabulary must be the file's.
KldResult run_kl_divergence(InferenceContext& ctx, const LogitsFileReader& base, const KldOptions& options);

// Chunk length bounds shared by the CLI: every chunk must score at least one token.
inline constexpr int64_t kMinPerplexityContext = 3;

}  // namespace bitnet
