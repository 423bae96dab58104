#pragma once
// Text and JSON output of perplexity runs. The text lines use llama-perplexity's labels and
// number formats, so scripts written for llama.cpp parse ours.
#include <cstdint>
#include <string>

#include "tools/perplexity.hpp"

namespace bitnet {

// "[3]12.3456," — the running PPL after chunk `chunk` (1-based).
std::string format_chunk_ppl(int64_t chunk, double ppl);
// "Final estimate: PPL = 12.3456 +/- 0.12345"
std::string format_final_estimate(const PerplexityResult& r);

// The per-chunk table of a KL-divergence run: header and one row per chunk (1-based).
std::string format_kld_chunk_header();
std::string format_kld_chunk_row(int64_t chunk, const KldRunning& r);
// The "====== Perplexity statistics ======" ... "Same top p:" block.
std::string format_kld_summary(const KldSummary& s);

// One JSON object (no trailing newline). Probabilities are fractions (0.5, not 50 %).
std::string perplexity_json(const PerplexityResult& r);
std::string kld_json(const KldResult& r);

}  // namespace bitnet
