#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "cli_common.hpp"
#include "commands.hpp"
#include "tools/bench.hpp"

namespace bitnet::cli {

Action add_bench(CLI::App& app) {
    struct Options {
        ModelFlags model;
        BenchOptions bench;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    o->model.threads = 2;
    CLI::App* cmd = app.add_subcommand(
        "bench", "Measure prompt processing (ppN) and token generation (tgN) speed, llama-bench style, with the "
                 "memory-bandwidth roofline for generation");
    add_model_flags(*cmd, o->model, /*with_context=*/false);
    cmd->add_option("-p,--n-prompt", o->bench.n_prompt, "Prompt tokens for the pp test (0: skip)")->check(CLI::Range(0, 1 << 20))->capture_default_str();
    cmd->add_option("-n,--n-gen", o->bench.n_gen, "Generated tokens for the tg test (0: skip)")->check(CLI::Range(0, 1 << 20))->capture_default_str();
    cmd->add_option("-r,--repetitions", o->bench.repetitions, "Repetitions of each test")->check(CLI::Range(1, 1000))->capture_default_str();
    cmd->add_option("-d,--n-depth", o->bench.n_depth,
                    "Tokens already in the KV cache when each test starts (long-context speed; tests are "
                    "named e.g. tg128 @ d4096)")
        ->check(CLI::Range(0, 1 << 24))->capture_default_str();
    cmd->add_option("--parallel", o->bench.n_parallel,
                    "Also measure tgN xP: P sequences decoded together, one forward pass per step (aggregate t/s)")
        ->check(CLI::Range(1, 256))->capture_default_str();
    cmd->add_flag("--json", o->json, "Print a JSON array, one object per test");
    return [o] {
        auto model = load_model(o->model);
        BenchOptions b = o->bench;
        b.n_threads = o->model.threads;
        const auto results = run_bench(model, b);
        const std::string out = o->json ? bench_json(*model, results) + "\n" : bench_table(*model, results);
        std::fwrite(out.data(), 1, out.size(), stdout);
        return 0;
    };
}

}  // namespace bitnet::cli
