#include <editline/readline.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <unistd.h>

#include "cli_common.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "runtime/chat.hpp"

namespace bitnet::cli {

namespace {

std::atomic<bool> g_generating{false};
std::atomic<bool> g_cancel{false};

// Ctrl-C stops the reply being generated; at the input prompt it ends the program as usual.
void on_sigint(int) {
    if (g_generating.load()) {
        g_cancel.store(true);
    } else {
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
    }
}

// One line of input: with line editing and history on a terminal, plain lines from a pipe.
bool read_line(bool interactive, std::string& line) {
    if (interactive) {
        char* s = readline("> ");
        if (s == nullptr) return false;
        line = s;
        if (!line.empty()) add_history(s);
        std::free(s);
        return true;
    }
    return static_cast<bool>(std::getline(std::cin, line));
}

}  // namespace

Action add_chat(CLI::App& app) {
    struct Options {
        ModelFlags model;
        SamplingFlags sampling;
        std::string system;
        int32_t n_predict = -1;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "chat", "Interactive chat in the model's trained format (/exit quits, /reset clears; Ctrl-C stops a reply)");
    add_model_flags(*cmd, o->model);
    cmd->add_option("--system-prompt", o->system, "System prompt (also -sys, as in llama.cpp)");
    cmd->add_option("-n,--n-predict", o->n_predict, "Maximum tokens per reply (-1: until the end of the turn)")
        ->check(CLI::Range(-1, 1 << 30))
        ->capture_default_str();
    add_sampling_flags(*cmd, o->sampling);
    return [o] {
        require_utf8(o->system, "the system prompt");
        const SamplingParams sp = sampling_params(o->sampling);
        auto model = load_model(o->model);
        InferenceContext ctx(model, context_options(o->model));
        if (!ctx.note().empty()) std::fprintf(stderr, "note: %s\n", ctx.note().c_str());
        ChatSession chat(ctx, o->system);
        Sampler sampler(sp, static_cast<int32_t>(ctx.n_vocab()));
        GenerateParams gp;
        gp.n_predict = o->n_predict;
        const bool interactive = ::isatty(STDIN_FILENO) != 0;
        if (interactive) std::fprintf(stderr, "chat: type a message; /exit quits, /reset starts over\n");
        std::signal(SIGINT, on_sigint);

        std::string line;
        while (read_line(interactive, line)) {
            if (line == "/exit" || line == "/quit") break;
            if (line == "/reset") {
                chat.reset();
                std::fprintf(stderr, "(conversation cleared)\n");
                continue;
            }
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            try {
                require_utf8(line, "the message");
                g_cancel = false;
                g_generating = true;
                const GenerateResult r = chat.reply(line, gp, sampler, [](std::string_view text) {
                    std::fwrite(text.data(), 1, text.size(), stdout);
                    std::fflush(stdout);
                    return !g_cancel.load();
                });
                g_generating = false;
                std::fputc('\n', stdout);
                std::fflush(stdout);
                if (r.reason == StopReason::cancelled) std::fprintf(stderr, "(stopped)\n");
                if (r.reason == StopReason::context_full) {
                    std::fprintf(stderr, "(the context is full; /reset to start a new conversation)\n");
                }
                if (o->model.verbose) {
                    std::fprintf(stderr, "[%lld prompt tokens %.2f s, %zu tokens %.2f s, %.2f tokens/s, context %lld/%lld]\n",
                                 static_cast<long long>(r.n_prompt), r.prompt_seconds, r.tokens.size(),
                                 r.generate_seconds,
                                 r.generate_seconds > 0 ? static_cast<double>(r.tokens.size()) / r.generate_seconds : 0.0,
                                 static_cast<long long>(ctx.n_past()), static_cast<long long>(ctx.n_ctx()));
                }
            } catch (const Error& e) {
                g_generating = false;
                std::fprintf(stderr, "error: %s\n", e.what());
                if (!interactive) return 1;
            }
        }
        return 0;
    };
}

}  // namespace bitnet::cli
