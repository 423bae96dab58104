#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "core/error.hpp"
#include "tools/convert/convert.hpp"

namespace bitnet::cli {

Action add_convert(CLI::App& app) {
    struct Options {
        ConvertOptions convert;
        std::string type = "i2_s", head_type = "f16";
        bool quiet = false;
    };
    auto o = std::make_shared<Options>();
    ConvertOptions& c = o->convert;
    CLI::App* cmd = app.add_subcommand(
        "convert", "Convert a Hugging Face ternary checkpoint directory (config.json, safetensors, tokenizer) to GGUF");
    cmd->add_option("hf_dir", c.input_dir, "Checkpoint directory")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("-o,--output", c.output, "Output GGUF file")->required();
    cmd->add_option("--type", o->type, "Type of the ternary projections: i2_s, tq1_0, tq2_0 or f16")
        ->check(CLI::IsMember({"i2_s", "tq1_0", "tq2_0", "f16"}))
        ->capture_default_str();
    cmd->add_option("--head-type", o->head_type, "Type of the LM head (the tied embedding): f16, q8_0, q6_k or f32")
        ->check(CLI::IsMember({"f16", "q8_0", "q6_k", "f32"}))
        ->capture_default_str();
    cmd->add_option("--tokenizer", c.tokenizer_dir,
                    "Directory with tokenizer.json or tokenizer.model (default: the checkpoint directory)")
        ->check(CLI::ExistingDirectory);
    cmd->add_flag("-q,--quiet", o->quiet, "No progress bar");
    return [o] {
        ConvertOptions opts = o->convert;
        opts.type = *parse_type_name(o->type);
        opts.head_type = *parse_type_name(o->head_type);
        opts.progress = !o->quiet;
        const ConvertResult r = convert_checkpoint(opts);
        std::fprintf(stderr, "convert: wrote %s: %s, %zu tensors, %zu bytes (checkpoint %zu bytes), vocabulary of %lld tokens\n",
                     opts.output.c_str(), r.arch.c_str(), r.n_tensors, r.file_bytes, r.checkpoint_bytes,
                     static_cast<long long>(r.n_vocab));
        return 0;
    };
}

}  // namespace bitnet::cli
