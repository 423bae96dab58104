#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "gguf/gguf_file.hpp"
#include "tools/inspect.hpp"

namespace bitnet::cli {

Action add_inspect(CLI::App& app) {
    struct Options {
        std::string path;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("inspect", "Show a GGUF file's metadata, tensors and totals by type");
    cmd->add_option("file", o->path, "GGUF file")->required();
    cmd->add_flag("--json", o->json, "Print one JSON object instead of text");
    return [o] {
        const GgufFile file = GgufFile::open(o->path);
        const std::string out = o->json ? inspect_json(file) + "\n" : inspect_text(file);
        std::fwrite(out.data(), 1, out.size(), stdout);
        return 0;
    };
}

}  // namespace bitnet::cli
