#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "core/error.hpp"
#include "tools/synth.hpp"

namespace bitnet::cli {

static GgmlType parse_type_option(const std::string& name, const char* flag) {
    const auto t = parse_type_name(name);
    if (!t) fail(strprintf("%s: unknown type '%s'", flag, name.c_str()));
    return *t;
}

Action add_synth(CLI::App& app) {
    struct Options {
        SynthOptions synth;
        std::string type = "i2_s", embd_type = "f16";
        bool no_pre = false, quiet = false;
    };
    auto o = std::make_shared<Options>();
    SynthOptions& s = o->synth;
    CLI::App* cmd = app.add_subcommand(
        "synth", "Write a random-weight model in the official BitNet-b1.58 GGUF layout (meaningless text; for tests "
                 "and benchmarks)");
    cmd->add_option("--arch", s.arch, "Architecture string")->capture_default_str();
    cmd->add_option("--preset", s.preset, "Shape preset: tiny, small or 2b4t (BitNet-b1.58-2B-4T)")
        ->check(CLI::IsMember({"tiny", "small", "2b4t"}))
        ->capture_default_str();
    cmd->add_option("--layers", s.n_layer, "Override the number of layers")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
    cmd->add_option("--embd", s.n_embd, "Override the embedding width")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
    cmd->add_option("--ff", s.n_ff, "Override the feed-forward width")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
    cmd->add_option("--heads", s.n_head, "Override the number of attention heads")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
    cmd->add_option("--kv-heads", s.n_head_kv, "Override the number of key/value heads")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
    cmd->add_option("-c,--ctx", s.n_ctx, "Override the training context length")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
    cmd->add_option("--type", o->type, "Ternary weight type: i2_s, tq2_0, tq1_0, f16, f32")->capture_default_str();
    cmd->add_option("--embd-type", o->embd_type, "Token embedding (tied LM head) type: f16, q8_0, q6_k, f32")
        ->capture_default_str();
    cmd->add_option("--tokenizer", s.tokenizer_path,
                    "tiktoken vocabulary file (e.g. Llama-3's); default: a small built-in byte-level vocabulary");
    cmd->add_flag("--no-pre", o->no_pre, "Omit tokenizer.ggml.pre, as the official file does");
    cmd->add_flag("--tensor-scales", s.tensor_scales,
                  "Add a single-value F32 '<name>.scale' tensor per ternary matrix (llama.cpp's bitnet converter)");
    cmd->add_option("-s,--seed", s.seed, "Random seed (same seed, same file)")->capture_default_str();
    cmd->add_option("-t,--threads", s.n_threads, "Threads (default: all cores)")->check(CLI::Range(0, 1024));
    cmd->add_flag("-q,--quiet", o->quiet, "No progress bar");
    cmd->add_option("-o,--output", s.output, "Output GGUF file")->required();
    return [o] {
        SynthOptions opts = o->synth;
        opts.type = parse_type_option(o->type, "--type");
        opts.embd_type = parse_type_option(o->embd_type, "--embd-type");
        opts.include_pre = !o->no_pre;
        opts.progress = !o->quiet;
        const SynthResult r = synthesize(opts);
        std::fprintf(stderr, "synth: wrote %s: %zu tensors, %zu bytes, vocabulary of %lld tokens\n", opts.output.c_str(),
                     r.n_tensors, r.file_bytes, static_cast<long long>(r.n_vocab));
        return 0;
    };
}

}  // namespace bitnet::cli
