// dump_logits: evaluates a token sequence with the engine and writes the logits of every position as
// raw little-endian float32 [n_tokens][n_vocab]. The only part of the NumPy reference check that
// uses the engine (run_reference.py compares its output with bitnet_reference.py).
//
//   dump_logits MODEL TOKENS_FILE OUT_FILE [--threads N] [--batch N] [--cache f16|f32]
//               [--repack auto|bits2|base3] [--head-type f16|q8_0|q6_k]
//
// TOKENS_FILE holds token ids separated by whitespace, commas or brackets (one id per line and a
// JSON array both work).
#include <bit>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "quant/types.hpp"
#include "runtime/context.hpp"
#include "runtime/loaded_model.hpp"

namespace {

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "dump_logits: " << why << "\n"
              << "usage: dump_logits MODEL TOKENS_FILE OUT_FILE [--threads N] [--batch N] [--cache f16|f32]\n"
              << "                   [--repack auto|bits2|base3] [--head-type f16|q8_0|q6_k]\n";
    std::exit(2);
}

std::vector<int32_t> read_tokens(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<int32_t> tokens;
    size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
            size_t used = 0;
            const long long v = std::stoll(text.substr(i, 32), &used);
            if (v < 0 || v > INT32_MAX) {
                throw std::runtime_error("token id out of range in " + path);
            }
            tokens.push_back(static_cast<int32_t>(v));
            i += used;
        } else if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '[' || c == ']') {
            ++i;
        } else {
            throw std::runtime_error(std::string("unexpected character '") + c + "' in " + path);
        }
    }
    if (tokens.empty()) {
        throw std::runtime_error("no token ids in " + path);
    }
    return tokens;
}

int parse_int(const std::string& flag, const std::string& value) {
    try {
        size_t used = 0;
        const int v = std::stoi(value, &used);
        if (used != value.size() || v < 1) {
            throw std::invalid_argument(value);
        }
        return v;
    } catch (const std::exception&) {
        usage(flag + " needs a positive integer, got '" + value + "'");
    }
}

}  // namespace

int main(int argc, char** argv) {
    static_assert(std::endian::native == std::endian::little, "the output format is little-endian float32");
    std::vector<std::string> positional;
    int n_threads = 1;
    int n_batch = 512;
    bitnet::KvType kv_type = bitnet::KvType::f16;
    bitnet::ModelLoadOptions load_options;
    load_options.n_threads = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.starts_with("--")) {
            if (i + 1 >= argc) {
                usage(arg + " needs a value");
            }
            const std::string value = argv[++i];
            if (arg == "--threads") {
                n_threads = parse_int(arg, value);
            } else if (arg == "--batch") {
                n_batch = parse_int(arg, value);
            } else if (arg == "--cache") {
                if (value == "f16") {
                    kv_type = bitnet::KvType::f16;
                } else if (value == "f32") {
                    kv_type = bitnet::KvType::f32;
                } else {
                    usage("--cache must be f16 or f32");
                }
            } else if (arg == "--repack") {
                if (value == "auto") {
                    load_options.weights.repack = bitnet::WeightRepack::automatic;
                } else if (value == "bits2") {
                    load_options.weights.repack = bitnet::WeightRepack::bits2;
                } else if (value == "base3") {
                    load_options.weights.repack = bitnet::WeightRepack::base3;
                } else {
                    usage("--repack must be auto, bits2 or base3");
                }
            } else if (arg == "--head-type") {
                const std::optional<bitnet::GgmlType> type = bitnet::parse_type_name(value);
                if (!type) {
                    usage("unknown --head-type '" + value + "'");
                }
                load_options.weights.head_type = type;
            } else {
                usage("unknown option " + arg);
            }
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.size() != 3) {
        usage("expected MODEL TOKENS_FILE OUT_FILE");
    }

    try {
        const std::vector<int32_t> tokens = read_tokens(positional[1]);
        const auto model = bitnet::LoadedModel::load(positional[0], load_options);

        bitnet::ContextOptions options;
        options.n_ctx = static_cast<int64_t>(tokens.size());
        options.n_batch = n_batch;
        options.n_threads = n_threads;
        options.kv_type = kv_type;
        bitnet::InferenceContext ctx(model, options);

        const size_t n_vocab = static_cast<size_t>(ctx.n_vocab());
        std::vector<float> logits(tokens.size() * n_vocab);
        ctx.decode_all(tokens, logits);

        std::FILE* out = std::fopen(positional[2].c_str(), "wb");
        if (out == nullptr) {
            throw std::runtime_error("cannot create " + positional[2]);
        }
        const size_t written = std::fwrite(logits.data(), sizeof(float), logits.size(), out);
        const bool closed = std::fclose(out) == 0;
        if (written != logits.size() || !closed) {
            throw std::runtime_error("cannot write " + positional[2]);
        }
    } catch (const std::exception& e) {
        std::cerr << "dump_logits: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
