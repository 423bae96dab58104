#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "runtime/generate.hpp"

namespace bitnet::cli {

Action add_run(CLI::App& app) {
    struct Options {
        ModelFlags model;
        SamplingFlags sampling;
        std::string prompt, file;
        int32_t n_predict = -1;
        std::vector<std::string> stop;
        bool no_bos = false, no_display_prompt = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("run", "Generate text from a prompt, streamed to stdout");
    add_model_flags(*cmd, o->model);
    cmd->add_option("-p,--prompt", o->prompt, "Prompt text");
    cmd->add_option("-f,--file", o->file, "Read the prompt from a file");
    cmd->add_option("-n,--n-predict", o->n_predict, "Tokens to generate (-1: until end of text or a full context)")
        ->check(CLI::Range(-1, 1 << 30))
        ->capture_default_str();
    cmd->add_option("--stop", o->stop, "Stop when this text is generated (repeatable; not printed)");
    cmd->add_flag("--no-bos", o->no_bos, "Do not add the beginning-of-text token");
    cmd->add_flag("--no-display-prompt", o->no_display_prompt, "Do not echo the prompt");
    add_sampling_flags(*cmd, o->sampling);
    return [o] {
        if (!o->prompt.empty() && !o->file.empty()) fail("use either -p or -f, not both");
        const std::string prompt = o->file.empty() ? o->prompt : read_file(o->file);
        if (prompt.empty()) fail("the prompt is empty (give one with -p TEXT or -f FILE)");
        require_utf8(prompt, "the prompt");
        if (o->n_predict < -1) fail("-n must be -1 or a non-negative number of tokens");
        const SamplingParams sp = sampling_params(o->sampling);

        auto model = load_model(o->model);
        InferenceContext ctx(model, context_options(o->model));
        if (!ctx.note().empty()) std::fprintf(stderr, "note: %s\n", ctx.note().c_str());
        const Tokenizer& tok = model->tokenizer;
        const std::vector<int32_t> tokens = tok.encode(prompt, tok.add_bos_default() && !o->no_bos, true);
        if (tokens.empty()) fail("the prompt produced no tokens");
        check_prompt_fits(ctx, static_cast<int64_t>(tokens.size()));
        if (o->model.verbose) {
            std::fprintf(stderr, "prompt: %zu tokens, context %lld, batch %lld, threads %d, seed %llu\n", tokens.size(),
                         static_cast<long long>(ctx.n_ctx()), static_cast<long long>(ctx.n_batch()), ctx.n_threads(),
                         static_cast<unsigned long long>(sp.seed));
        }
        if (!o->no_display_prompt) {
            std::fwrite(prompt.data(), 1, prompt.size(), stdout);
            std::fflush(stdout);
        }
        Sampler sampler(sp, static_cast<int32_t>(ctx.n_vocab()));
        GenerateParams gp;
        gp.n_predict = o->n_predict;
        gp.stop = o->stop;
        const GenerateResult r = generate(ctx, tokens, gp, sampler, [](std::string_view text) {
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::fflush(stdout);
            return true;
        });
        std::fputc('\n', stdout);
        const size_t n_gen = r.tokens.size();
        std::fprintf(stderr, "\nload: %.2f s | prompt: %lld tokens, %.2f s, %.2f tokens/s | generation: %zu tokens, %.2f s, "
                             "%.2f tokens/s | stop: %s\n",
                     model->load_seconds, static_cast<long long>(r.n_prompt), r.prompt_seconds,
                     r.prompt_seconds > 0 ? static_cast<double>(r.n_prompt) / r.prompt_seconds : 0.0, n_gen,
                     r.generate_seconds, r.generate_seconds > 0 ? static_cast<double>(n_gen) / r.generate_seconds : 0.0,
                     stop_reason_name(r.reason));
        return 0;
    };
}

}  // namespace bitnet::cli
