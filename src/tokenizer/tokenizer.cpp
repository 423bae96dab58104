#include "tokenizer/tokenizer.hpp"

#include <map>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/byte_mapping.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/special_tokens.hpp"
#include "tokenizer/spm.hpp"
#include "tokenizer/token_table.hpp"

namespace bitnet {

struct Tokenizer::State {
    bool spm_model = false;
    TokenTable table;  // bytes of every token; indexed over the tokens BPE/SPM may produce
    std::vector<int32_t> types;
    BpeModel bpe;
    std::optional<PreTokenizer> pre;
    SpmModel spm;
    SpecialTokenSplitter specials;
    std::map<std::string, int32_t, std::less<>> special_ids;
    int32_t bos = -1;
    int32_t eos = -1;
    int32_t eot = -1;
    int32_t pad = -1;
    int32_t unk = -1;
    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = true;

    State() = default;
    State(const State&) = delete;  // bpe and spm point into `table`
    State& operator=(const State&) = delete;
};

namespace {

void check_vocab_id(const Vocab& v, int32_t id, const char* what) {
    if (id < -1 || id >= v.size()) {
        fail(strprintf("tokenizer: %s id %d is out of range (vocabulary has %d tokens)", what, id, v.size()));
    }
}

bool is_special_type(int32_t type) {
    return type == token_type::kControl || type == token_type::kUserDefined || type == token_type::kUnknown;
}

}  // namespace

Tokenizer::Tokenizer(const Vocab& v) {
    if (v.tokens.empty()) fail("tokenizer: the vocabulary has no tokens");
    if (!v.scores.empty() && v.scores.size() != v.tokens.size()) {
        fail(strprintf("tokenizer: %zu scores for %zu tokens", v.scores.size(), v.tokens.size()));
    }
    if (!v.token_types.empty() && v.token_types.size() != v.tokens.size()) {
        fail(strprintf("tokenizer: %zu token types for %zu tokens", v.token_types.size(), v.tokens.size()));
    }
    check_vocab_id(v, v.bos_id, "BOS");
    check_vocab_id(v, v.eos_id, "EOS");
    check_vocab_id(v, v.eot_id, "EOT");
    check_vocab_id(v, v.pad_id, "padding");
    check_vocab_id(v, v.unk_id, "unknown-token");

    auto s = std::make_shared<State>();
    if (v.model == "llama") {
        s->spm_model = true;
    } else if (v.model != "gpt2") {
        fail("unsupported tokenizer model '" + v.model + "' (tokenizer.ggml.model); supported: gpt2, llama");
    }
    s->bos = v.bos_id;
    s->eos = v.eos_id;
    s->eot = v.eot_id;
    s->pad = v.pad_id;
    s->unk = v.unk_id;
    s->add_bos = v.add_bos;
    s->add_eos = v.add_eos;
    s->add_space_prefix = v.add_space_prefix;
    s->types = v.token_types.empty() ? std::vector<int32_t>(v.tokens.size(), token_type::kNormal) : v.token_types;

    // Token bytes: special tokens are stored as literal text, ordinary ones in the model's alphabet.
    size_t total = 0;
    for (const std::string& t : v.tokens) total += t.size();
    s->table.reserve(v.tokens.size(), total);
    std::vector<bool> indexed(v.tokens.size(), false);
    std::string bytes;
    for (int32_t id = 0; id < v.size(); ++id) {
        const int32_t type = s->types[id];
        const std::string& text = v.tokens[id];
        if (is_special_type(type)) {
            s->table.add(text);
            // user-defined tokens are matched as text even without parse_special, like llama.cpp
            s->specials.add(text, id, type == token_type::kUserDefined);
            s->special_ids.emplace(text, id);
            continue;
        }
        bytes.clear();
        if (s->spm_model) {
            spm_token_bytes(text, type, bytes);
        } else {
            mapped_to_bytes(text, bytes);
        }
        s->table.add(bytes);
        indexed[id] = true;
    }
    s->table.build_index(indexed);

    if (s->spm_model) {
        s->spm = SpmModel(v);
    } else {
        if (v.merges.empty()) {
            fail("tokenizer: tokenizer.ggml.merges is missing or empty (required for gpt2 vocabularies)");
        }
        const PreTokenizerKind kind = pretokenizer_kind(v);
        s->pre.emplace(kind);
        const BpeOrder order = kind == PreTokenizerKind::Llama3 ? BpeOrder::Tiktoken : BpeOrder::MergeList;
        s->bpe = BpeModel(s->table, v.merges, order, v.unk_id);
    }
    state_ = std::move(s);
}

Tokenizer Tokenizer::from_gguf(const GgufFile& file) { return Tokenizer(vocab_from_gguf(file)); }

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
    const State& s = *state_;
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 2);
    if (add_bos) {
        if (s.bos < 0) fail("tokenizer: BOS requested but the vocabulary has no BOS token");
        out.push_back(s.bos);
    }
    if (s.spm_model) {
        // SentencePiece marks word starts with "▁": the first text (and text after a special token)
        // gets one prepended, as llama.cpp does.
        bool after_special = true;
        s.specials.split(
            text, parse_special,
            [&](std::string_view frag) {
                s.spm.encode(frag, s.add_space_prefix && after_special, out);
                after_special = false;
            },
            [&](int32_t id) {
                out.push_back(id);
                after_special = true;
            });
        return out;
    }
    std::vector<std::string_view> pieces;
    s.specials.split(
        text, parse_special,
        [&](std::string_view frag) {
            pieces.clear();
            s.pre->split(frag, pieces);
            for (const std::string_view piece : pieces) s.bpe.encode_piece(piece, out);
        },
        [&](int32_t id) { out.push_back(id); });
    return out;
}

std::string_view Tokenizer::token_view(int32_t id) const {
    check_id(id);
    return state_->table.bytes(id);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
    const State& s = *state_;
    std::string out;
    // SentencePiece: drop the word marker encode() put in front of the text.
    bool strip_prefix = s.spm_model && s.add_space_prefix;
    for (const int32_t id : ids) {
        check_id(id);
        const int32_t type = s.types[id];
        if (skip_special && type == token_type::kControl) continue;
        std::string_view bytes = s.table.bytes(id);
        if (strip_prefix && !is_special_type(type)) {
            if (!bytes.empty() && bytes[0] == ' ') bytes.remove_prefix(1);
            strip_prefix = false;
        }
        out.append(bytes);
    }
    return out;
}

bool Tokenizer::is_control(int32_t id) const {
    check_id(id);
    return state_->types[id] == token_type::kControl;
}

bool Tokenizer::is_special(int32_t id) const {
    check_id(id);
    return state_->types[id] == token_type::kControl || state_->types[id] == token_type::kUserDefined;
}

bool Tokenizer::is_eog(int32_t id) const {
    check_id(id);
    const State& s = *state_;
    if (id == s.eos || id == s.eot) return true;
    return s.types[id] == token_type::kControl && id != s.bos;
}

int32_t Tokenizer::bos() const { return state_->bos; }
int32_t Tokenizer::eos() const { return state_->eos; }
int32_t Tokenizer::eot() const { return state_->eot; }
int32_t Tokenizer::pad() const { return state_->pad; }
int32_t Tokenizer::unk() const { return state_->unk; }
bool Tokenizer::add_bos_default() const { return state_->add_bos; }
bool Tokenizer::add_eos_default() const { return state_->add_eos; }
int32_t Tokenizer::n_vocab() const { return state_->table.size(); }

std::string Tokenizer::description() const {
    if (state_->spm_model) return "llama (SentencePiece)";
    return std::string("gpt2 (byte-level BPE, ") + pretokenizer_name(state_->pre->kind()) + " pre-tokenizer)";
}

std::optional<int32_t> Tokenizer::find_special(std::string_view name) const {
    const auto it = state_->special_ids.find(name);
    if (it == state_->special_ids.end()) return std::nullopt;
    return it->second;
}

void Tokenizer::check_id(int32_t id) const {
    if (id < 0 || id >= state_->table.size()) {
        fail(strprintf("token id %d is out of range (vocabulary has %d tokens)", id, state_->table.size()));
    }
}

}  // namespace bitnet
