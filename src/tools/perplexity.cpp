#include "tools/perplexity.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <optional>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "runtime/context.hpp"
#include "tools/kld_file.hpp"
#include "tools/perplexity_report.hpp"

namespace bitnet {

namespace {

// Progress on stderr. On a terminal: a redrawn bar, with table rows printed above it and the
// running-PPL list printed once at the end (redrawing would erase it). In a log: llama.cpp's
// running list and rows as they come, without the bar.
class ChunkProgress {
public:
    ChunkProgress(const char* label, size_t total, bool enabled)
        : enabled_(enabled), tty_(enabled && ::isatty(STDERR_FILENO) != 0), bar_(label, total, tty_) {}

    void line(const std::string& text) {
        if (!enabled_) return;
        std::fprintf(stderr, "%s%s\n", tty_ ? "\r\033[K" : "", text.c_str());
        std::fflush(stderr);
    }
    void item(const std::string& text) {
        if (!enabled_) return;
        items_ += text;
        if (!tty_) {
            std::fputs(text.c_str(), stderr);
            std::fflush(stderr);
        }
    }
    void update(size_t done, const std::string& detail) { bar_.update(done, detail); }
    void finish(const std::string& detail) {
        if (!enabled_) return;
        bar_.finish(detail);
        if (!items_.empty()) std::fprintf(stderr, "%s\n", tty_ ? items_.c_str() : "");
        std::fflush(stderr);
    }

private:
    bool enabled_, tty_;
    ProgressBar bar_;
    std::string items_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Evaluates one chunk from an empty cache. Only positions first .. n_ctx-2 need logits: the first
// half is decoded without them, and the last token is never evaluated since nothing scored
// depends on it (attention is causal).
void evaluate_chunk(InferenceContext& ctx, std::span<const int32_t> chunk, int64_t first, std::span<float> logits) {
    const auto n_scored = static_cast<size_t>(scored_per_chunk(static_cast<int64_t>(chunk.size())));
    ctx.reset();
    ctx.decode(chunk.first(static_cast<size_t>(first)));
    ctx.decode_all(chunk.subspan(static_cast<size_t>(first), n_scored), logits);
}

// The chunk's tokens as evaluated: BOS in place of the first when the model adds BOS.
void prepare_chunk(std::span<const int32_t> tokens, int64_t chunk, const InferenceContext& ctx,
                   std::vector<int32_t>& out) {
    const auto n_ctx = static_cast<int64_t>(out.size());
    std::copy_n(tokens.begin() + chunk * n_ctx, n_ctx, out.begin());
    const Tokenizer& tok = ctx.model().tokenizer;
    if (tok.add_bos_default()) out[0] = tok.bos();
}

void check_context_size(int64_t n_ctx) {
    if (n_ctx < kMinPerplexityContext || n_ctx > INT32_MAX) {
        fail(
            strprintf("context size %lld does not work for perplexity: each chunk scores positions n_ctx/2 .. n_ctx-2, "
                      "so it needs %lld .. %d tokens",
                      static_cast<long long>(n_ctx), static_cast<long long>(kMinPerplexityContext), INT32_MAX));
    }
}

void check_chunk_limit(int64_t max_chunks) {
    if (max_chunks == 0 || max_chunks < -1) {
        fail(strprintf("chunk limit %lld must be positive (or -1 for all)", static_cast<long long>(max_chunks)));
    }
}

}  // namespace

PerplexityResult run_perplexity(InferenceContext& ctx, std::span<const int32_t> tokens,
                                const PerplexityOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t n_ctx = ctx.n_ctx();
    check_context_size(n_ctx);
    const auto n_tokens = static_cast<int64_t>(tokens.size());
    // llama.cpp's condition (it wants at least two chunks).
    if (n_tokens < 2 * n_ctx) {
        fail(strprintf(
            "the text has %lld tokens, fewer than the %lld (2 * n_ctx with n_ctx = %lld) needed for "
            "perplexity; use a longer text or a smaller -c",
            static_cast<long long>(n_tokens), static_cast<long long>(2 * n_ctx), static_cast<long long>(n_ctx)));
    }
    check_chunk_limit(options.max_chunks);
    const int64_t n_vocab = ctx.n_vocab();
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i] < 0 || tokens[i] >= n_vocab) {
            fail(strprintf("token %d at position %zu is outside the model's vocabulary of %lld", tokens[i], i,
                           static_cast<long long>(n_vocab)));
        }
    }
    int64_t n_chunks = std::min<int64_t>(n_tokens / n_ctx, INT32_MAX);
    if (options.max_chunks > 0) n_chunks = std::min(n_chunks, options.max_chunks);
    const int64_t first = n_ctx / 2, n_scored = scored_per_chunk(n_ctx);
    const auto nv = static_cast<size_t>(n_vocab);
    const size_t record = logits_record_values(n_vocab);

    std::optional<LogitsFileWriter> writer;
    std::vector<uint16_t> records;
    if (!options.save_logits.empty()) {
        const LogitsFileHeader h{static_cast<int32_t>(n_ctx), static_cast<int32_t>(n_vocab),
                                 static_cast<int32_t>(n_chunks)};
        writer.emplace(options.save_logits, h, tokens.first(static_cast<size_t>(n_chunks * n_ctx)));
        records.resize(static_cast<size_t>(n_scored) * record);
    }

    PerplexityResult r;
    r.n_tokens = n_tokens;
    r.n_ctx = n_ctx;
    r.n_chunks = n_chunks;
    std::vector<float> logits(static_cast<size_t>(n_scored) * nv);
    std::vector<double> nll(static_cast<size_t>(n_scored));
    std::vector<int32_t> chunk(static_cast<size_t>(n_ctx));
    Moments moments;
    ChunkProgress progress("perplexity", static_cast<size_t>(n_chunks), options.progress);
    progress.line(strprintf("perplexity: %lld tokens, %lld chunks of %lld (%lld scored each), batch %lld, %d threads%s",
                            static_cast<long long>(n_tokens), static_cast<long long>(n_chunks),
                            static_cast<long long>(n_ctx), static_cast<long long>(n_scored),
                            static_cast<long long>(ctx.n_batch()), ctx.n_threads(),
                            writer ? strprintf(", saving logits to %s", options.save_logits.c_str()).c_str() : ""));
    for (int64_t c = 0; c < n_chunks; ++c) {
        prepare_chunk(tokens, c, ctx, chunk);
        evaluate_chunk(ctx, chunk, first, logits);
        // Targets come from the text itself (the BOS substitution only changes the input).
        const int32_t* next = tokens.data() + c * n_ctx + first + 1;
        ctx.pool().parallel_for(static_cast<size_t>(n_scored), 1, [&](size_t begin, size_t end) {
            for (size_t j = begin; j < end; ++j) {
                const std::span<const float> row(logits.data() + j * nv, nv);
                nll[j] = token_nll(row, next[j]);
                if (writer) encode_log_probs(row, std::span<uint16_t>(records.data() + j * record, record));
            }
        });
        for (double v : nll) moments.add(v);  // in order, so the sums do not depend on threading
        if (writer) writer->write_records(records);
        const double running = std::exp(moments.sum / static_cast<double>(moments.count));
        r.chunk_ppl.push_back(running);
        progress.item(format_chunk_ppl(c + 1, running));
        progress.update(static_cast<size_t>(c + 1), strprintf("PPL %.4f", running));
    }
    if (writer) writer->close();
    r.n_scored = moments.count;
    r.nll = moments.mean();
    r.ppl = perplexity_from_nll(moments);
    r.seconds = seconds_since(t0);
    progress.finish(strprintf("PPL %.4f", r.ppl.value));
    return r;
}

KldResult run_kl_divergence(InferenceContext& ctx, const LogitsFileReader& base, const KldOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    const LogitsFileHeader& h = base.header();
    if (h.n_vocab != ctx.n_vocab()) {
        fail(
            strprintf("'%s' was made with a vocabulary of %d tokens, but this model has %lld; KL divergence needs "
                      "models that share a tokenizer",
                      base.path().c_str(), h.n_vocab, static_cast<long long>(ctx.n_vocab())));
    }
    check_context_size(h.n_ctx);
    if (ctx.n_ctx() < h.n_ctx) {
        fail(strprintf("'%s' holds chunks of %d tokens, but the context has room for only %lld", base.path().c_str(),
                       h.n_ctx, static_cast<long long>(ctx.n_ctx())));
    }
    check_chunk_limit(options.max_chunks);
    const int64_t n_chunks = options.max_chunks > 0 ? std::min<int64_t>(h.n_chunk, options.max_chunks) : h.n_chunk;
    const int64_t n_ctx = h.n_ctx, first = n_ctx / 2, n_scored = scored_per_chunk(n_ctx);
    const auto nv = static_cast<size_t>(h.n_vocab);
    const size_t record = logits_record_values(h.n_vocab);
    const std::vector<int32_t>& tokens = base.tokens();

    KldResult r;
    r.n_ctx = n_ctx;
    r.n_vocab = h.n_vocab;
    r.n_chunks = n_chunks;
    std::vector<float> logits(static_cast<size_t>(n_scored) * nv);
    std::vector<uint16_t> records(static_cast<size_t>(n_scored) * record);
    std::vector<TokenComparison> scored(static_cast<size_t>(n_scored));
    std::vector<int32_t> chunk(static_cast<size_t>(n_ctx));
    KldAccumulator acc;
    ChunkProgress progress("kl-divergence", static_cast<size_t>(n_chunks), options.progress);
    progress.line(
        strprintf("kl-divergence: %s: %lld of %d chunks of %lld tokens (%lld scored each), vocabulary %d, "
                  "batch %lld, %d threads",
                  base.path().c_str(), static_cast<long long>(n_chunks), h.n_chunk, static_cast<long long>(n_ctx),
                  static_cast<long long>(n_scored), h.n_vocab, static_cast<long long>(ctx.n_batch()), ctx.n_threads()));
    progress.line(format_kld_chunk_header());
    for (int64_t c = 0; c < n_chunks; ++c) {
        prepare_chunk(tokens, c, ctx, chunk);
        evaluate_chunk(ctx, chunk, first, logits);
        base.read_chunk(c, records);
        const int32_t* next = tokens.data() + c * n_ctx + first + 1;
        ctx.pool().parallel_for(static_cast<size_t>(n_scored), 1, [&](size_t begin, size_t end) {
            for (size_t j = begin; j < end; ++j) {
                scored[j] = compare_with_base(std::span<const float>(logits.data() + j * nv, nv),
                                              std::span<const uint16_t>(records.data() + j * record, record), next[j]);
            }
        });
        for (const TokenComparison& t : scored) acc.add(t);
        r.chunks.push_back(acc.running());
        progress.line(format_kld_chunk_row(c + 1, r.chunks.back()));
        progress.update(static_cast<size_t>(c + 1), strprintf("KLD %.5f", r.chunks.back().kld.value));
    }
    r.summary = acc.summary();
    r.seconds = seconds_since(t0);
    progress.finish(strprintf("KLD %.5f", r.summary.kld.value));
    return r;
}

}  // namespace bitnet
