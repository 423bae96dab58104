// The `bitnet` command line: one binary, one subcommand per job (llama.cpp-style flags).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/error.hpp"
#include "kernels/kernels.hpp"

int main(int argc, char** argv) {
    CLI::App app{"bitnet: inference engine for ternary (1.58-bit) BitNet language models", "bitnet"};
    app.require_subcommand(0, 1);
    bool version = false;
    app.add_flag("--version", version, "Print the version and the kernel instruction set, then exit");

    std::vector<std::pair<CLI::App*, bitnet::cli::Action>> commands;
    auto add = [&](auto fn) {
        const size_t before = app.get_subcommands({}).size();
        bitnet::cli::Action action = fn(app);
        commands.emplace_back(app.get_subcommands({})[before], std::move(action));
    };
    add(bitnet::cli::add_run);
    add(bitnet::cli::add_chat);
    add(bitnet::cli::add_tokenize);
    add(bitnet::cli::add_inspect);
    add(bitnet::cli::add_synth);
    add(bitnet::cli::add_convert);
    add(bitnet::cli::add_quantize);
    add(bitnet::cli::add_perplexity);
    add(bitnet::cli::add_bench);
    add(bitnet::cli::add_serve);
    add(bitnet::cli::add_train);

    // llama.cpp spells some long options with one dash (-sys, -np); CLI11 reserves that for one letter.
    std::vector<std::string> args;
    for (int i = argc - 1; i >= 1; --i) {
        const std::string a = argv[i];
        args.push_back(a == "-sys" ? "--system-prompt" : a == "-np" ? "--parallel" : a);
    }
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (version) {
            std::printf("bitnet %s (kernels: %s)\n", BITNET_VERSION, bitnet::isa_name(bitnet::kernels().isa));
            return 0;
        }
        for (auto& [sub, action] : commands) {
            if (sub->parsed()) return action();
        }
        std::fputs(app.help().c_str(), stdout);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
