#pragma once
// Subcommands of the `bitnet` CLI. Each registers its flags on the app and returns the action
// to run when it is selected; actions return the process exit code.
#include <functional>

namespace CLI {
class App;
}

namespace bitnet::cli {

using Action = std::function<int()>;

Action add_inspect(CLI::App& app);
Action add_synth(CLI::App& app);
Action add_convert(CLI::App& app);
Action add_quantize(CLI::App& app);
Action add_run(CLI::App& app);
Action add_chat(CLI::App& app);
Action add_tokenize(CLI::App& app);
Action add_perplexity(CLI::App& app);
Action add_bench(CLI::App& app);
Action add_serve(CLI::App& app);
Action add_train(CLI::App& app);

}  // namespace bitnet::cli
