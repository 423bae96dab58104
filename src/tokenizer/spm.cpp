#include "tokenizer/spm.hpp"

#include <queue>

#include "core/error.hpp"
#include "tokenizer/utf8.hpp"
#include "tokenizer/vocab.hpp"

namespace bitnet {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581 '▁'

// "<0x4A>" -> 0x4A, or -1.
int parse_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    int v = 0;
    for (size_t i = 3; i < 5; ++i) {
        const char c = text[i];
        int d = -1;
        if (c >= '0' && c <= '9') d = c - '0';
        if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

}  // namespace

void spm_token_bytes(std::string_view text, int32_t type, std::string& out) {
    if (type == token_type::kByte) {
        const int b = parse_byte_token(text);
        if (b >= 0) {
            out.push_back(static_cast<char>(b));
            return;
        }
    }
    if (type != token_type::kNormal && type != token_type::kUnused && type != token_type::kUndefined) {
        out.append(text);
        return;
    }
    for (size_t i = 0; i < text.size();) {
        if (text.substr(i, kSpace.size()) == kSpace) {
            out.push_back(' ');
            i += kSpace.size();
        } else {
            out.push_back(text[i++]);
        }
    }
}

SpmModel::SpmModel(const Vocab& v) : unk_id_(v.unk_id) {
    if (v.scores.size() != v.tokens.size()) fail("tokenizer: SentencePiece vocabularies need tokenizer.ggml.scores");
    scores_ = v.scores;
    std::vector<bool> indexed(v.tokens.size(), false);
    for (int b = 0; b < 256; ++b) byte_ids_[b] = -1;
    size_t total = 0;
    for (const std::string& t : v.tokens) total += t.size();
    table_.reserve(v.tokens.size(), total);
    for (int32_t id = 0; id < v.size(); ++id) {
        table_.add(v.tokens[id]);
        const int32_t type = v.token_types.empty() ? token_type::kNormal : v.token_types[id];
        if (type == token_type::kByte) {
            const int b = parse_byte_token(v.tokens[id]);
            if (b >= 0 && byte_ids_[b] < 0) byte_ids_[b] = id;
        }
        // Control and byte tokens are never produced from text by merging (llama.cpp's lookup
        // would turn the characters "<s>" into BOS).
        indexed[id] = type == token_type::kNormal || type == token_type::kUserDefined ||
                      type == token_type::kUnused || type == token_type::kUndefined;
    }
    table_.build_index(indexed);
}

void SpmModel::emit_symbol(std::string_view sym, std::vector<int32_t>& out) const {
    const int32_t id = table_.find(sym);
    if (id >= 0) {
        out.push_back(id);
        return;
    }
    for (const char c : sym) {
        const int32_t b = byte_ids_[static_cast<uint8_t>(c)];
        if (b >= 0) {
            out.push_back(b);
        } else if (unk_id_ >= 0) {
            out.push_back(unk_id_);
        } else {
            fail(strprintf("tokenizer: byte 0x%02X has no <0x%02X> token and there is no unknown token",
                           static_cast<uint8_t>(c), static_cast<uint8_t>(c)));
        }
    }
}

void SpmModel::encode(std::string_view raw, bool add_prefix, std::vector<int32_t>& out) const {
    std::string text;
    text.reserve(raw.size() * 2 + 3);
    if (add_prefix) text.append(kSpace);
    for (const char c : raw) {
        if (c == ' ') {
            text.append(kSpace);
        } else {
            text.push_back(c);
        }
    }
    if (text.empty()) return;

    // Symbols are spans of `text` in a linked list; a merged-away symbol gets len 0.
    struct Symbol {
        uint32_t start;
        uint32_t len;
        int32_t prev;
        int32_t next;
    };
    std::vector<Symbol> syms;
    for (size_t i = 0; i < text.size();) {
        const size_t len = utf8::scan_char(std::string_view(text).substr(i)).len;
        const auto idx = static_cast<int32_t>(syms.size());
        syms.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(len), idx - 1, idx + 1});
        i += len;
    }
    syms.back().next = -1;

    struct Bigram {
        float score;
        int32_t left;
        int32_t right;
        uint32_t len;
        // Highest score first, then leftmost.
        bool operator<(const Bigram& o) const { return score != o.score ? score < o.score : left > o.left; }
    };
    std::priority_queue<Bigram> queue;
    const auto try_add = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const uint32_t len = syms[left].len + syms[right].len;
        const int32_t id = table_.find(std::string_view(text).substr(syms[left].start, len));
        if (id >= 0) queue.push({scores_[id], left, right, len});
    };
    for (size_t i = 1; i < syms.size(); ++i) try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

    while (!queue.empty()) {
        const Bigram b = queue.top();
        queue.pop();
        Symbol& l = syms[b.left];
        Symbol& r = syms[b.right];
        if (l.len == 0 || r.len == 0 || l.next != b.right || l.len + r.len != b.len) continue;  // stale
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (r.next >= 0) syms[r.next].prev = b.left;
        try_add(l.prev, b.left);
        try_add(b.left, l.next);
    }
    for (int32_t i = 0; i >= 0; i = syms[i].next) {
        emit_symbol(std::string_view(text).substr(syms[i].start, syms[i].len), out);
    }
}

}  // namespace bitnet
