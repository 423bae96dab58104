#pragma once
// Flags shared by the subcommands that load a model and generate (llama.cpp names), and the
// helpers that turn them into library options.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/context.hpp"
#include "runtime/loaded_model.hpp"
#include "sampling/sampler.hpp"

namespace CLI {
class App;
}

namespace bitnet::cli {

struct ModelFlags {
    std::string model;
    int threads = 0;
    int64_t ctx = 0;
    int64_t batch = 512;
    std::string cache_type = "f16";
    std::string weights = "auto";
    std::string head_type;
    bool mmap = false;
    bool verbose = false;
};

struct SamplingFlags {
    SamplingParams params;
    int64_t seed = -1;
};

void add_model_flags(CLI::App& cmd, ModelFlags& f, bool with_context = true);
void add_sampling_flags(CLI::App& cmd, SamplingFlags& f);

ModelLoadOptions model_load_options(const ModelFlags& f);
// Loads the model (timing and notes on stderr with --verbose).
std::shared_ptr<const LoadedModel> load_model(const ModelFlags& f);
ContextOptions context_options(const ModelFlags& f);
// Resolves seed -1 to a random seed.
SamplingParams sampling_params(const SamplingFlags& f);

// Reads a whole file as bytes (errors name the file).
std::string read_file(const std::string& path);

}  // namespace bitnet::cli

namespace bitnet::cli {

// Throws Error naming the offset of the first byte that is not valid UTF-8.
void require_utf8(const std::string& text, const char* what);

}  // namespace bitnet::cli
