#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "tools/kld_file.hpp"
#include "tools/perplexity.hpp"
#include "tools/perplexity_report.hpp"

namespace bitnet::cli {

namespace {

struct PerplexityFlags {
    ModelFlags model;
    std::string file, kld_base;
    int64_t chunks = -1;
    bool kl_divergence = false, json = false;
    const CLI::Option* ctx_option = nullptr;  // to tell an explicit -c from the default
};

void check_chunk_length(int64_t n_ctx) {
    if (n_ctx < kMinPerplexityContext) {
        fail(
            strprintf("-c %lld is too small: each chunk scores positions n_ctx/2 .. n_ctx-2, so perplexity needs "
                      "-c %lld or more",
                      static_cast<long long>(n_ctx), static_cast<long long>(kMinPerplexityContext)));
    }
}

void note_context(const InferenceContext& ctx) {
    if (!ctx.note().empty()) std::fprintf(stderr, "note: %s\n", ctx.note().c_str());
    const int64_t n_train = ctx.model().config.n_ctx_train;
    if (n_train > 0 && ctx.n_ctx() > n_train) {
        std::fprintf(stderr, "note: the model was trained on %lld tokens of context, fewer than the %lld used here\n",
                     static_cast<long long>(n_train), static_cast<long long>(ctx.n_ctx()));
    }
}

int run_perplexity_command(const PerplexityFlags& f) {
    if (f.file.empty()) fail("perplexity needs a text to evaluate: -f FILE");
    check_chunk_length(f.model.ctx);
    std::string text = read_file(f.file);  // raw bytes: the tokenizer takes any byte sequence
    // llama.cpp's -f drops one trailing newline; doing the same gives the same token stream.
    if (!text.empty() && text.back() == '\n') text.pop_back();
    auto model = load_model(f.model);
    const Tokenizer& tok = model->tokenizer;
    // Like llama.cpp: one tokenization of the whole text, special-token text kept as plain text.
    const std::vector<int32_t> tokens = tok.encode(text, tok.add_bos_default(), false);
    InferenceContext ctx(model, context_options(f.model));
    note_context(ctx);
    PerplexityOptions po;
    po.max_chunks = f.chunks;
    po.save_logits = f.kld_base;
    const PerplexityResult r = run_perplexity(ctx, tokens, po);
    if (f.json) {
        std::printf("%s\n", perplexity_json(r).c_str());
    } else {
        std::printf("%s\n", format_final_estimate(r).c_str());
    }
    if (f.model.verbose) {
        std::fprintf(stderr, "perplexity: %lld tokens scored in %.2f s (%.1f tokens/s evaluated)\n",
                     static_cast<long long>(r.n_scored), r.seconds,
                     r.seconds > 0 ? static_cast<double>(r.n_chunks * r.n_ctx) / r.seconds : 0.0);
    }
    return 0;
}

int run_kld_command(const PerplexityFlags& f) {
    if (f.kld_base.empty()) fail("--kl-divergence needs the base model's logits: --kl-divergence-base FILE");
    if (!f.file.empty()) {
        std::fprintf(stderr, "note: -f is not used with --kl-divergence (the tokens come from %s)\n",
                     f.kld_base.c_str());
    }
    // Validate the file before the (slower) model load.
    const LogitsFileReader base(f.kld_base);
    const int32_t n_ctx = base.header().n_ctx;
    if (f.ctx_option != nullptr && f.ctx_option->count() > 0 && f.model.ctx != n_ctx) {
        std::fprintf(stderr, "note: using the logits file's context of %d tokens instead of -c %lld\n", n_ctx,
                     static_cast<long long>(f.model.ctx));
    }
    auto model = load_model(f.model);
    ContextOptions co = context_options(f.model);
    co.n_ctx = n_ctx;
    InferenceContext ctx(model, co);
    note_context(ctx);
    KldOptions ko;
    ko.max_chunks = f.chunks;
    const KldResult r = run_kl_divergence(ctx, base, ko);
    if (f.json) {
        std::printf("%s\n", kld_json(r).c_str());
    } else {
        std::fputs(format_kld_summary(r.summary).c_str(), stdout);
    }
    return 0;
}

}  // namespace

Action add_perplexity(CLI::App& app) {
    auto f = std::make_shared<PerplexityFlags>();
    f->model.ctx = 512;  // llama-perplexity's default chunk length
    CLI::App* cmd = app.add_subcommand(
        "perplexity", "Perplexity of a text (llama.cpp's method), or KL divergence against a base model's logits");
    add_model_flags(*cmd, f->model);
    CLI::Option* ctx_opt = cmd->get_option("--ctx-size");
    ctx_opt->description("Chunk length in tokens")->capture_default_str();
    f->ctx_option = ctx_opt;
    cmd->add_option("-f,--file", f->file, "Text to evaluate (read as raw bytes)");
    cmd->add_option("--chunks", f->chunks, "Evaluate at most this many chunks (-1: all)")->check(CLI::Range(-1, 1 << 30))->capture_default_str();
    cmd->add_option("--kl-divergence-base", f->kld_base,
                    "llama.cpp logits file: written while evaluating -f, or read with --kl-divergence");
    cmd->add_flag("--kl-divergence", f->kl_divergence,
                  "Evaluate the tokens stored in --kl-divergence-base and compare with its logits (KL divergence, "
                  "PPL of both, top-token agreement)");
    cmd->add_flag("--json", f->json, "Print the results as one JSON object on stdout");
    return [f] {
        if (f->chunks == 0 || f->chunks < -1) fail("--chunks must be a positive number of chunks (or -1 for all)");
        return f->kl_divergence ? run_kld_command(*f) : run_perplexity_command(*f);
    };
}

}  // namespace bitnet::cli
