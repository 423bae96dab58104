#include "tokenizer/vocab.hpp"

#include <array>
#include <limits>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"

namespace bitnet {

namespace {

constexpr const char* kTokens = "tokenizer.ggml.tokens";
constexpr const char* kScores = "tokenizer.ggml.scores";
constexpr const char* kTypes = "tokenizer.ggml.token_type";
constexpr const char* kMerges = "tokenizer.ggml.merges";

// End-of-turn token names llama.cpp recognises when tokenizer.ggml.eot_token_id is absent.
constexpr std::array<std::string_view, 4> kEotNames = {"<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>"};

int32_t infer_eot(const Vocab& v) {
    for (const std::string_view name : kEotNames) {
        for (int32_t id = 0; id < v.size(); ++id) {
            if (v.tokens[id] == name) return id;
        }
    }
    return -1;
}

// An optional token-id key: -1 when absent or negative (some converters write -1 for "none").
int32_t read_id(const GgufFile& f, const char* key, uint64_t n_tokens, int32_t fallback) {
    const GgufValue* val = f.find(key);
    if (val == nullptr) return fallback;
    if (!gguf_type_is_integer(val->type)) {
        fail(strprintf("%s: metadata key '%s' has type %s, expected an integer token id", f.path().c_str(), key,
                       gguf_type_name(val->type)));
    }
    const bool is_signed = val->type == GgufType::INT8 || val->type == GgufType::INT16 ||
                           val->type == GgufType::INT32 || val->type == GgufType::INT64;
    if (is_signed && val->i < 0) return -1;
    const uint64_t id = is_signed ? static_cast<uint64_t>(val->i) : val->u;
    if (id >= n_tokens) {
        fail(strprintf("%s: %s = %llu is out of range (vocabulary has %llu tokens)", f.path().c_str(), key,
                       static_cast<unsigned long long>(id), static_cast<unsigned long long>(n_tokens)));
    }
    return static_cast<int32_t>(id);
}

void check_count(const GgufFile& f, const char* key, uint64_t count, uint64_t n_tokens) {
    if (count != n_tokens) {
        fail(strprintf("%s: %s has %llu entries but %s has %llu", f.path().c_str(), key,
                       static_cast<unsigned long long>(count), kTokens, static_cast<unsigned long long>(n_tokens)));
    }
}

}  // namespace

bool Vocab::is_llama3() const {
    return tokens.size() == 128256 && tokens[128000] == "<|begin_of_text|>" && tokens[128001] == "<|end_of_text|>";
}

std::vector<std::string> llama3_special_tokens() {
    std::vector<std::string> names = {
        "<|begin_of_text|>",
        "<|end_of_text|>",
        "<|reserved_special_token_0|>",
        "<|reserved_special_token_1|>",
        "<|reserved_special_token_2|>",
        "<|reserved_special_token_3|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|reserved_special_token_4|>",
        "<|eot_id|>",
    };
    for (int n = 5; n <= 250; ++n) names.push_back(strprintf("<|reserved_special_token_%d|>", n));
    return names;
}

Vocab vocab_from_gguf(const GgufFile& f) {
    if (!f.has(kTokens)) fail("model has no tokenizer metadata (tokenizer.ggml.tokens missing)");
    const GgufValue& tokens = f.get_array(kTokens, GgufType::STRING);
    const uint64_t n = tokens.count;
    if (n == 0) fail(f.path() + ": tokenizer.ggml.tokens is empty");
    if (n > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
        fail(f.path() + ": tokenizer.ggml.tokens has too many entries");
    }

    Vocab v;
    v.model = std::string(f.get_string("tokenizer.ggml.model"));
    v.tokens.reserve(n);
    for (const std::string_view s : tokens.strings) v.tokens.emplace_back(s);

    v.scores.assign(n, 0.0f);
    if (const GgufValue* s = f.find(kScores)) {
        if (s->type != GgufType::ARRAY || (s->elem_type != GgufType::FLOAT32 && s->elem_type != GgufType::FLOAT64)) {
            fail(f.path() + ": tokenizer.ggml.scores must be an array of floats");
        }
        check_count(f, kScores, s->count, n);
        for (uint64_t i = 0; i < n; ++i) v.scores[i] = static_cast<float>(s->float_at(i));
    }

    v.token_types.assign(n, token_type::kNormal);
    if (const GgufValue* t = f.find(kTypes)) {
        if (t->type != GgufType::ARRAY || !gguf_type_is_integer(t->elem_type)) {
            fail(f.path() + ": tokenizer.ggml.token_type must be an array of integers");
        }
        check_count(f, kTypes, t->count, n);
        for (uint64_t i = 0; i < n; ++i) {
            const int64_t type = t->int_at(i);
            if (type < token_type::kUndefined || type > token_type::kByte) {
                fail(strprintf("%s: tokenizer.ggml.token_type[%llu] = %lld is not a known token type (0..6)",
                               f.path().c_str(), static_cast<unsigned long long>(i), static_cast<long long>(type)));
            }
            v.token_types[i] = static_cast<int32_t>(type);
        }
    }

    if (f.has(kMerges)) {
        const GgufValue& m = f.get_array(kMerges, GgufType::STRING);
        v.merges.reserve(m.count);
        for (const std::string_view s : m.strings) v.merges.emplace_back(s);
    }
    if (const auto pre = f.opt_string("tokenizer.ggml.pre")) v.pre = std::string(*pre);
    if (const auto tmpl = f.opt_string("tokenizer.chat_template")) v.chat_template = std::string(*tmpl);

    // SentencePiece files from older converters rely on llama.cpp's defaults for these ids.
    const bool spm = v.model == "llama";
    v.bos_id = read_id(f, "tokenizer.ggml.bos_token_id", n, spm && n > 1 ? 1 : -1);
    v.eos_id = read_id(f, "tokenizer.ggml.eos_token_id", n, spm && n > 2 ? 2 : -1);
    v.unk_id = read_id(f, "tokenizer.ggml.unknown_token_id", n, spm ? 0 : -1);
    v.pad_id = read_id(f, "tokenizer.ggml.padding_token_id", n, -1);
    v.eot_id = read_id(f, "tokenizer.ggml.eot_token_id", n, -2);
    if (v.eot_id == -2) v.eot_id = infer_eot(v);

    v.add_bos = f.opt_bool("tokenizer.ggml.add_bos_token").value_or(spm || v.is_llama3());
    v.add_eos = f.opt_bool("tokenizer.ggml.add_eos_token").value_or(false);
    v.add_space_prefix = f.opt_bool("tokenizer.ggml.add_space_prefix").value_or(true);
    if (v.add_bos && v.bos_id < 0) {
        fail(f.path() + ": tokenizer.ggml.add_bos_token is true but there is no tokenizer.ggml.bos_token_id");
    }
    if (v.add_eos && v.eos_id < 0) {
        fail(f.path() + ": tokenizer.ggml.add_eos_token is true but there is no tokenizer.ggml.eos_token_id");
    }
    return v;
}

void write_vocab(GgufWriter& w, const Vocab& v, bool include_pre) {
    if (v.tokens.empty()) fail("write_vocab: the vocabulary has no tokens");
    if (!v.scores.empty() && v.scores.size() != v.tokens.size()) {
        fail("write_vocab: scores and tokens differ in length");
    }
    if (!v.token_types.empty() && v.token_types.size() != v.tokens.size()) {
        fail("write_vocab: token types and tokens differ in length");
    }
    const auto u32 = [&](const char* key, int32_t id) {
        if (id >= 0) w.set_u32(key, static_cast<uint32_t>(id));
    };

    w.set_bool("tokenizer.ggml.add_bos_token", v.add_bos);
    if (v.add_eos) w.set_bool("tokenizer.ggml.add_eos_token", true);
    w.set_string("tokenizer.ggml.model", v.model);
    w.remove("tokenizer.ggml.pre");
    if (include_pre) {
        if (v.pre) {
            w.set_string("tokenizer.ggml.pre", *v.pre);
        } else if (v.is_llama3()) {
            w.set_string("tokenizer.ggml.pre", "llama-bpe");
        }
    }
    w.set_string_array(kTokens, v.tokens);
    w.set_f32_array(kScores, v.scores.empty() ? std::vector<float>(v.tokens.size(), 0.0f) : v.scores);
    w.set_i32_array(kTypes,
                    v.token_types.empty() ? std::vector<int32_t>(v.tokens.size(), token_type::kNormal) : v.token_types);
    if (!v.merges.empty()) w.set_string_array(kMerges, v.merges);
    u32("tokenizer.ggml.bos_token_id", v.bos_id);
    u32("tokenizer.ggml.eos_token_id", v.eos_id);
    u32("tokenizer.ggml.unknown_token_id", v.unk_id);
    // The official file has no EOT key (readers infer it from "<|eot_id|>"); write it only when the
    // name would not give it back.
    if (v.eot_id >= 0 && infer_eot(v) != v.eot_id) u32("tokenizer.ggml.eot_token_id", v.eot_id);
    u32("tokenizer.ggml.padding_token_id", v.pad_id);
    if (v.model == "llama" && !v.add_space_prefix) w.set_bool("tokenizer.ggml.add_space_prefix", false);
    if (v.chat_template) w.set_string("tokenizer.chat_template", *v.chat_template);
}

}  // namespace bitnet
