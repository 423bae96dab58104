#pragma once
// SentencePiece-style vocabularies (tokenizer.ggml.model "llama", e.g. the Llama-2 32k vocabulary
// of the older 1bitLLM BitNet 3B): spaces are written "▁", adjacent symbols merge greedily by the
// score of the token they form (highest first, leftmost on ties) starting from UTF-8 characters,
// and characters without a token fall back to <0xNN> byte tokens.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/token_table.hpp"

namespace bitnet {

struct Vocab;

// The raw bytes a SentencePiece token stands for: "▁" -> space for ordinary tokens, <0xNN> -> the
// byte for byte tokens, the literal text otherwise.
void spm_token_bytes(std::string_view text, int32_t type, std::string& out);

class SpmModel {
public:
    SpmModel() = default;
    explicit SpmModel(const Vocab& vocab);

    // Appends the ids of one fragment of ordinary text; add_prefix prepends the "▁" word marker.
    void encode(std::string_view text, bool add_prefix, std::vector<int32_t>& out) const;

private:
    void emit_symbol(std::string_view sym, std::vector<int32_t>& out) const;

    TokenTable table_;  // GGUF token text (with "▁") -> id, over the tokens encoding may produce
    std::vector<float> scores_;
    int32_t byte_ids_[256] = {};
    int32_t unk_id_ = -1;
};

}  // namespace bitnet
