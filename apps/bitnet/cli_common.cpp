#include "cli_common.hpp"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "quant/types.hpp"

namespace bitnet::cli {

void add_model_flags(CLI::App& cmd, ModelFlags& f, bool with_context) {
    cmd.add_option("-m,--model", f.model, "Model file (GGUF)")->required();
    cmd.add_option("-t,--threads", f.threads, "Threads (default: all cores)")->check(CLI::Range(0, 1024));
    if (with_context) {
        cmd.add_option("-c,--ctx-size", f.ctx, "Context size in tokens (default: the model's, capped by memory)")
            ->check(CLI::Range(int64_t{0}, int64_t{1} << 31));
        cmd.add_option("-b,--batch-size", f.batch, "Prompt tokens evaluated per forward pass")
            ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
            ->capture_default_str();
        cmd.add_option("--cache-type", f.cache_type, "KV cache type: f16 or f32")
            ->check(CLI::IsMember({"f16", "f32"}))
            ->capture_default_str();
    }
    cmd.add_option("--weights", f.weights,
                   "Ternary weight layout in memory: auto (TQ1_0 files as base3 where the CPU decodes it fast enough, "
                   "else bits2), bits2 (2-bit) or base3 (1.6-bit: fewer bytes per token, fast with AVX-512 VBMI)")
        ->check(CLI::IsMember({"auto", "bits2", "base3"}))
        ->capture_default_str();
    cmd.add_option("--head-type", f.head_type, "Requantize the LM head at load time: f16, q8_0 or q6_k")
        ->check(CLI::IsMember({"f16", "q8_0", "q6_k"}));
    cmd.add_flag("--mmap,!--no-mmap", f.mmap,
                 "Stream the weights in place from the memory-mapped file (faster start, page cache shared "
                 "between processes, slower decode) instead of copying them to aligned huge-page memory (default)");
    cmd.add_flag("--verbose", f.verbose, "Print model and timing details on stderr");
}

void add_sampling_flags(CLI::App& cmd, SamplingFlags& f) {
    SamplingParams& p = f.params;
    cmd.add_option("--temp", p.temperature, "Temperature (0: greedy)")->check(CLI::Range(0.0f, 1000.0f))
        ->capture_default_str();
    cmd.add_option("--top-k", p.top_k, "Top-k sampling (0: off)")->check(CLI::Range(0, 1 << 30))
        ->capture_default_str();
    cmd.add_option("--top-p", p.top_p, "Top-p sampling (1: off)")->check(CLI::Range(0.0f, 1.0f))
        ->capture_default_str();
    cmd.add_option("--min-p", p.min_p, "Min-p sampling (0: off)")->check(CLI::Range(0.0f, 1.0f))
        ->capture_default_str();
    cmd.add_option("--repeat-penalty", p.repeat_penalty, "Repetition penalty (1: off)")->check(CLI::Range(0.001f, 1000.0f))
        ->capture_default_str();
    cmd.add_option("--repeat-last-n", p.repeat_last_n, "Tokens the penalties look back on (0: off, -1: all)")
        ->check(CLI::Range(-1, 1 << 30))
        ->capture_default_str();
    cmd.add_option("--presence-penalty", p.presence_penalty, "Presence penalty")->check(CLI::Range(-2.0f, 2.0f))
        ->capture_default_str();
    cmd.add_option("--frequency-penalty", p.frequency_penalty, "Frequency penalty")->check(CLI::Range(-2.0f, 2.0f))
        ->capture_default_str();
    cmd.add_option("-s,--seed", f.seed, "Random seed (-1: random)")->check(CLI::Range(int64_t{-1}, int64_t{0xFFFFFFFF}))
        ->capture_default_str();
}

ModelLoadOptions model_load_options(const ModelFlags& f) {
    ModelLoadOptions o;
    o.n_threads = f.threads;
    o.weights.repack = f.weights == "bits2"   ? WeightRepack::bits2
                       : f.weights == "base3" ? WeightRepack::base3
                                              : WeightRepack::automatic;
    if (!f.head_type.empty()) o.weights.head_type = parse_type_name(f.head_type);
    o.weights.progress = f.verbose;
    o.weights.use_mmap = f.mmap;
    return o;
}

std::shared_ptr<const LoadedModel> load_model(const ModelFlags& f) {
    auto model = LoadedModel::load(f.model, model_load_options(f));
    if (f.verbose) {
        const ModelConfig& c = model->config;
        std::fprintf(stderr,
                     "model: %s, arch %s, %lld layers, n_embd %lld, n_ff %lld, heads %lld/%lld, vocab %lld (%s), "
                     "ternary layout %s, head %s, loaded in %.2f s\n",
                     f.model.c_str(), c.arch_name.c_str(), static_cast<long long>(c.n_layer),
                     static_cast<long long>(c.n_embd), static_cast<long long>(c.n_ff), static_cast<long long>(c.n_head),
                     static_cast<long long>(c.n_head_kv), static_cast<long long>(c.n_vocab),
                     model->tokenizer.description().c_str(), layout_name(model->weights.ternary_layout),
                     type_name(model->weights.output_type), model->load_seconds);
    }
    return model;
}

ContextOptions context_options(const ModelFlags& f) {
    ContextOptions o;
    o.n_ctx = f.ctx;
    o.n_batch = f.batch;
    o.n_threads = f.threads;
    o.kv_type = f.cache_type == "f32" ? KvType::f32 : KvType::f16;
    if (f.ctx < 0) fail("--ctx-size must be positive");
    if (f.batch <= 0) fail("--batch-size must be positive");
    return o;
}

SamplingParams sampling_params(const SamplingFlags& f) {
    SamplingParams p = f.params;
    if (f.seed < 0) {
        p.seed = std::random_device{}() ^ static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    } else {
        p.seed = static_cast<uint64_t>(f.seed);
    }
    validate(p);
    return p;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(strprintf("cannot open '%s': %s", path.c_str(), std::strerror(errno)));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace bitnet::cli

#include "tokenizer/utf8.hpp"

namespace bitnet::cli {

void require_utf8(const std::string& text, const char* what) {
    size_t i = 0;
    while (i < text.size()) {
        const utf8::Scan s = utf8::scan_char(std::string_view(text).substr(i));
        if (s.kind != utf8::ScanKind::Valid) {
            fail(strprintf("%s is not valid UTF-8 (byte 0x%02x at offset %zu)", what,
                           static_cast<unsigned char>(text[i]), i));
        }
        i += s.len;
    }
}

}  // namespace bitnet::cli
