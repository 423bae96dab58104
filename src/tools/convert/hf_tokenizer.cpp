#include "tools/convert/hf_tokenizer.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "core/error.hpp"
#include "tools/convert/hf_config.hpp"
#include "tools/convert/sentencepiece_model.hpp"

namespace bitnet {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Split regexes as tokenizer.json spells them, with llama.cpp's name for each.
struct KnownRegex {
    const char* regex;
    const char* pre;
};
const KnownRegex kRegexes[] = {
    {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
     "\\s+(?!\\S)|\\s+",
     "llama-bpe"},
    {"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", "gpt2"},
};

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) fail("cannot read " + p.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json parse_json(const std::string& text, const std::string& name) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(name + ": not a JSON object");
    return j;
}

// Collects the Split regexes of a pre_tokenizer (possibly nested in a Sequence); a ByteLevel with
// use_regex true stands for GPT-2's.
void split_regexes(const json& p, const std::string& name, std::vector<std::string>& out) {
    if (!p.is_object()) return;
    const std::string type = p.value("type", "");
    if (type == "Sequence") {
        for (const json& q : p.value("pretokenizers", json::array())) split_regexes(q, name, out);
    } else if (type == "Split") {
        const json pat = p.value("pattern", json::object());
        if (!pat.contains("Regex") || !pat["Regex"].is_string()) {
            fail(name + ": pre_tokenizer Split without a Regex pattern is not supported");
        }
        out.push_back(pat["Regex"].get<std::string>());
    } else if (type == "ByteLevel") {
        if (p.value("use_regex", true)) out.push_back(kRegexes[1].regex);
    } else {
        fail(name + ": pre_tokenizer type '" + type + "' is not supported (Sequence, Split, ByteLevel)");
    }
}

std::string merge_text(const json& m, const std::string& name, size_t i) {
    if (m.is_string()) {
        const std::string s = m.get<std::string>();
        const size_t sp = s.find(' ');
        if (sp == 0 || sp == std::string::npos || sp + 1 == s.size() || s.find(' ', sp + 1) != std::string::npos) {
            fail(strprintf("%s: model.merges[%zu] \"%s\" is not two tokens separated by one space", name.c_str(), i, s.c_str()));
        }
        return s;
    }
    if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        // In byte-level form a space inside a token is 'Ġ', so joining with ' ' is unambiguous.
        return m[0].get<std::string>() + " " + m[1].get<std::string>();
    }
    fail(strprintf("%s: model.merges[%zu] is neither \"a b\" nor [\"a\", \"b\"]", name.c_str(), i));
}

void set_token(Vocab& v, int64_t id, const std::string& text, int32_t type, const std::string& name) {
    if (id < 0 || id >= (int64_t{1} << 24)) fail(strprintf("%s: token id %lld is out of range", name.c_str(), static_cast<long long>(id)));
    if (id >= v.size()) {
        v.tokens.resize(static_cast<size_t>(id) + 1);
        v.token_types.resize(static_cast<size_t>(id) + 1, token_type::kUndefined);
    }
    v.tokens[static_cast<size_t>(id)] = text;
    v.token_types[static_cast<size_t>(id)] = type;
}

// The content of a tokenizer_config.json token entry: a string or {"content": ...}.
std::optional<std::string> token_content(const json& cfg, const char* key) {
    const auto it = cfg.find(key);
    if (it == cfg.end()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) return (*it)["content"].get<std::string>();
    return std::nullopt;
}

int32_t id_of(const Vocab& v, const std::string& text) {
    for (int32_t i = 0; i < v.size(); ++i) {
        if (v.tokens[static_cast<size_t>(i)] == text) return i;
    }
    return -1;
}

// Whether a post_processor (TemplateProcessing, or one inside a Sequence) puts `bos` first.
bool template_adds(const json& p, const std::string& bos) {
    if (!p.is_object()) return false;
    if (p.value("type", "") == "Sequence") {
        for (const json& q : p.value("processors", json::array())) {
            if (template_adds(q, bos)) return true;
        }
        return false;
    }
    if (p.value("type", "") != "TemplateProcessing") return false;
    const json single = p.value("single", json::array());
    return !single.empty() && single[0].is_object() && single[0].contains("SpecialToken") &&
           single[0]["SpecialToken"].value("id", "") == bos;
}

// tokenizer_config.json: special tokens by name, add_bos_token, the chat template.
void apply_tokenizer_config(const json& cfg, const std::string& name, Vocab& v) {
    const auto lookup = [&](const char* key, int32_t& id) {
        if (const auto text = token_content(cfg, key)) {
            const int32_t found = id_of(v, *text);
            if (found < 0) fail(name + ": " + key + " '" + *text + "' is not in the vocabulary");
            id = found;
        }
    };
    lookup("bos_token", v.bos_id);
    lookup("eos_token", v.eos_id);
    lookup("unk_token", v.unk_id);
    lookup("pad_token", v.pad_id);
    if (const auto it = cfg.find("add_bos_token"); it != cfg.end() && it->is_boolean()) v.add_bos = it->get<bool>();
    if (const auto it = cfg.find("add_eos_token"); it != cfg.end() && it->is_boolean()) v.add_eos = it->get<bool>();
    if (const auto it = cfg.find("chat_template"); it != cfg.end()) {
        if (it->is_string()) {
            v.chat_template = it->get<std::string>();
        } else if (it->is_array()) {  // [{"name": "default", "template": ...}, ...]
            for (const json& t : *it) {
                if (t.is_object() && t.value("name", "") == "default" && t.contains("template")) {
                    v.chat_template = t["template"].get<std::string>();
                }
            }
        }
    }
}

// added_tokens.json ({"text": id}) beside a SentencePiece model.
void apply_added_tokens(const fs::path& p, Vocab& v) {
    const json j = parse_json(read_text(p), p.string());
    for (const auto& [text, id] : j.items()) {
        if (!id.is_number_integer()) fail(p.string() + ": the id of '" + text + "' is not an integer");
        if (id.get<int64_t>() < v.size() && v.token_types[static_cast<size_t>(id.get<int64_t>())] != token_type::kUndefined &&
            v.tokens[static_cast<size_t>(id.get<int64_t>())] != text) {
            fail(strprintf("%s: '%s' takes id %lld, which the model already gives to '%s'", p.string().c_str(), text.c_str(),
                           static_cast<long long>(id.get<int64_t>()), v.tokens[static_cast<size_t>(id.get<int64_t>())].c_str()));
        }
        set_token(v, id.get<int64_t>(), text, token_type::kUserDefined, p.string());
        v.scores.resize(v.tokens.size(), 0.0f);
    }
}

// Fills ids no file defines with "[PAD<id>]" up to n (llama.cpp's convention) and checks the size.
void pad_to(Vocab& v, int64_t n, const std::string& dir) {
    if (v.size() > n) {
        fail(strprintf("%s: the tokenizer has %d ids but config.json vocab_size is %lld", dir.c_str(), v.size(),
                       static_cast<long long>(n)));
    }
    v.tokens.resize(static_cast<size_t>(n));
    v.token_types.resize(static_cast<size_t>(n), token_type::kUndefined);
    for (int64_t i = 0; i < n; ++i) {
        if (v.token_types[static_cast<size_t>(i)] == token_type::kUndefined) {
            v.tokens[static_cast<size_t>(i)] = "[PAD" + std::to_string(i) + "]";
            v.token_types[static_cast<size_t>(i)] = token_type::kUserDefined;
        }
    }
    if (!v.scores.empty()) v.scores.resize(static_cast<size_t>(n), 0.0f);
}

}  // namespace

std::string pretokenizer_for_regex(const std::string& regex, const std::string& name) {
    for (const KnownRegex& k : kRegexes) {
        if (regex == k.regex) return k.pre;
    }
    fail(name + ": unknown pre-tokenizer regex (supported: the Llama-3 and GPT-2 patterns): " + regex);
}

Vocab vocab_from_tokenizer_json(const std::string& text, const std::string& name) {
    const json j = parse_json(text, name);
    const json model = j.value("model", json::object());
    if (model.value("type", "") != "BPE") fail(name + ": model.type '" + model.value("type", "") + "' is not supported (only BPE)");
    Vocab v;
    v.model = "gpt2";
    const json vocab = model.value("vocab", json::object());
    if (!vocab.is_object() || vocab.empty()) fail(name + ": model.vocab is missing or empty");
    for (const auto& [token, id] : vocab.items()) {
        if (!id.is_number_integer()) fail(name + ": model.vocab['" + token + "'] is not an integer id");
        if (id.get<int64_t>() < v.size() && v.token_types[static_cast<size_t>(id.get<int64_t>())] != token_type::kUndefined) {
            fail(strprintf("%s: id %lld is given to two tokens", name.c_str(), static_cast<long long>(id.get<int64_t>())));
        }
        set_token(v, id.get<int64_t>(), token, token_type::kNormal, name);
    }
    const json merges = model.value("merges", json::array());
    v.merges.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) v.merges.push_back(merge_text(merges[i], name, i));
    for (const json& a : j.value("added_tokens", json::array())) {
        if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
            !a["content"].is_string()) {
            fail(name + ": added_tokens entry without an integer id and a content string");
        }
        set_token(v, a["id"].get<int64_t>(), a["content"].get<std::string>(),
                  a.value("special", false) ? token_type::kControl : token_type::kUserDefined, name);
    }
    std::vector<std::string> regexes;
    split_regexes(j.value("pre_tokenizer", json::object()), name, regexes);
    if (regexes.size() != 1) fail(strprintf("%s: expected one pre-tokenizer regex, found %zu", name.c_str(), regexes.size()));
    v.pre = pretokenizer_for_regex(regexes[0], name);
    return v;
}

Vocab read_hf_tokenizer(const std::string& dir, const HfConfig& c) {
    const fs::path d(dir);
    Vocab v;
    json post;
    if (fs::exists(d / "tokenizer.json")) {
        const std::string text = read_text(d / "tokenizer.json");
        v = vocab_from_tokenizer_json(text, (d / "tokenizer.json").string());
        post = json::parse(text, nullptr, false).value("post_processor", json());
    } else if (fs::exists(d / "tokenizer.model")) {
        v = vocab_from_sentencepiece_file((d / "tokenizer.model").string());
        if (fs::exists(d / "added_tokens.json")) apply_added_tokens(d / "added_tokens.json", v);
    } else {
        fail(dir + ": no tokenizer.json or tokenizer.model (give the tokenizer's directory with --tokenizer DIR)");
    }
    if (c.bos_id && *c.bos_id < v.size()) v.bos_id = static_cast<int32_t>(*c.bos_id);
    if (c.eos_id && *c.eos_id < v.size()) v.eos_id = static_cast<int32_t>(*c.eos_id);
    if (v.model == "gpt2") v.add_bos = false;
    const fs::path cfg_path = d / "tokenizer_config.json";
    json cfg = json::object();
    if (fs::exists(cfg_path)) {
        cfg = parse_json(read_text(cfg_path), cfg_path.string());
        apply_tokenizer_config(cfg, cfg_path.string(), v);
    }
    if (v.model == "gpt2" && !cfg.contains("add_bos_token") && v.bos_id >= 0) {
        v.add_bos = template_adds(post, v.tokens[static_cast<size_t>(v.bos_id)]);
    }
    pad_to(v, c.vocab_size, dir);
    return v;
}

}  // namespace bitnet
