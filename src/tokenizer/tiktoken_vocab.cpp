// Llama-3 vocabulary from a tiktoken rank file. The GGUF form needs the tokens in the byte-level
// alphabet and an explicit merge list; tiktoken has only ranks, so the merges are derived: every
// way to split a token into two tokens is a merge, ordered by the token's rank and then by
// (rank(left), rank(right)) like transformers' converter. For the Llama-3 file this gives the
// 280,147 merges of the official GGUF.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "core/error.hpp"
#include "tokenizer/byte_mapping.hpp"
#include "tokenizer/token_table.hpp"
#include "tokenizer/vocab.hpp"

namespace bitnet {

namespace {

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Strict standard base64 with '=' padding; returns false on any malformed input.
bool base64_decode(std::string_view in, std::string& out) {
    out.clear();
    if (in.empty() || in.size() % 4 != 0) return false;
    for (size_t i = 0; i < in.size(); i += 4) {
        const bool last = i + 4 == in.size();
        const int pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=') : 0;
        if (pad == 1 && in[i + 2] == '=') return false;  // "x=y=" is not padding
        uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            const int d = k >= 4 - pad ? 0 : base64_value(in[i + k]);
            if (d < 0) return false;
            v = (v << 6) | static_cast<uint32_t>(d);
        }
        out.push_back(static_cast<char>(v >> 16));
        if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xFF));
        if (pad < 1) out.push_back(static_cast<char>(v & 0xFF));
    }
    return true;
}

bool parse_rank(std::string_view s, uint32_t& rank) {
    if (s.empty() || s.size() > 9) return false;
    rank = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return false;
        rank = rank * 10 + static_cast<uint32_t>(c - '0');
    }
    return true;
}

}  // namespace

Vocab vocab_from_tiktoken_text(std::string_view text, const std::string& name) {
    // Ranks may appear in any order but must be exactly 0..n-1.
    std::vector<std::pair<uint32_t, std::string>> ranked;
    std::string bytes;
    size_t line_no = 0;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        const size_t sp = line.find(' ');
        uint32_t rank = 0;
        if (sp == std::string_view::npos || !base64_decode(line.substr(0, sp), bytes) ||
            !parse_rank(line.substr(sp + 1), rank)) {
            fail(strprintf("%s:%zu: malformed tiktoken line (expected 'BASE64 RANK')", name.c_str(), line_no));
        }
        ranked.emplace_back(rank, bytes);
    }
    if (ranked.empty()) fail(name + ": tiktoken file has no tokens");
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < ranked.size(); ++i) {
        if (ranked[i].first != i) {
            fail(strprintf("%s: tiktoken ranks must be 0..%zu without gaps or duplicates (rank %u at position %zu)",
                           name.c_str(), ranked.size() - 1, ranked[i].first, i));
        }
    }

    const auto n_ranked = static_cast<int32_t>(ranked.size());
    TokenTable table;
    table.reserve(ranked.size(), text.size());
    for (const auto& [rank, tok] : ranked) table.add(tok);
    table.build_index();
    for (int32_t id = 0; id < n_ranked; ++id) {
        if (table.find(table.bytes(id)) != id) {
            fail(strprintf("%s: tiktoken rank %d repeats the bytes of rank %d", name.c_str(), id,
                           table.find(table.bytes(id))));
        }
    }

    Vocab v;
    v.model = "gpt2";
    const std::vector<std::string> specials = llama3_special_tokens();
    const size_t n_total = ranked.size() + specials.size();
    v.tokens.reserve(n_total);
    for (int32_t id = 0; id < n_ranked; ++id) v.tokens.push_back(bytes_to_mapped(table.bytes(id)));
    for (const std::string& s : specials) v.tokens.push_back(s);
    v.scores.assign(n_total, 0.0f);
    v.token_types.assign(n_total, token_type::kNormal);
    for (size_t i = ranked.size(); i < n_total; ++i) {
        v.scores[i] = -1000.0f;
        v.token_types[i] = token_type::kControl;
    }

    std::vector<std::pair<int32_t, int32_t>> splits;
    v.merges.reserve(ranked.size() * 5 / 2);
    for (int32_t id = 0; id < n_ranked; ++id) {
        const std::string_view tok = table.bytes(id);
        if (tok.size() < 2) continue;
        splits.clear();
        for (size_t k = 1; k < tok.size(); ++k) {
            const int32_t left = table.find(tok.substr(0, k));
            if (left < 0) continue;
            const int32_t right = table.find(tok.substr(k));
            if (right >= 0) splits.emplace_back(left, right);
        }
        std::sort(splits.begin(), splits.end());
        for (const auto& [left, right] : splits) {
            std::string m;
            m.reserve(v.tokens[left].size() + v.tokens[right].size() + 1);
            m.append(v.tokens[left]).append(" ").append(v.tokens[right]);
            v.merges.push_back(std::move(m));
        }
    }

    v.bos_id = n_ranked;
    v.eos_id = n_ranked + 1;
    v.eot_id = n_ranked + 9;
    v.pad_id = n_ranked + 1;
    v.add_bos = true;
    v.add_eos = false;
    return v;
}

Vocab vocab_from_tiktoken(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open tiktoken file '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) fail("error reading tiktoken file '" + path + "'");
    return vocab_from_tiktoken_text(ss.str(), path);
}

}  // namespace bitnet
