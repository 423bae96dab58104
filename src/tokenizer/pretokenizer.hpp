#pragma once
// Regex pre-tokenization for byte-level BPE: splits text into the pieces that BPE then encodes
// one at a time (no merge ever crosses a piece boundary). PCRE2 with JIT does the matching.
#include <memory>
#include <string_view>
#include <vector>

namespace bitnet {

struct Vocab;

enum class PreTokenizerKind {
    Llama3,  // tiktoken's Llama-3 pattern; BPE uses the whole-piece rule and tiktoken merge order
    Gpt2,    // the original GPT-2 pattern; BPE uses the merge list order
};

// The pre-tokenizer a byte-level vocabulary needs. tokenizer.ggml.pre "llama-bpe", "llama3" and
// "llama-v3" select Llama3, "default" and "gpt2" select Gpt2, anything else is an error. When the
// key is missing (the official BitNet GGUF) the Llama-3 vocabulary still gets Llama3, which is what
// the model was trained with; other vocabularies fall back to Gpt2.
PreTokenizerKind pretokenizer_kind(const Vocab& vocab);
const char* pretokenizer_name(PreTokenizerKind kind);

class PreTokenizer {
public:
    explicit PreTokenizer(PreTokenizerKind kind);

    PreTokenizerKind kind() const { return kind_; }

    // Appends the pieces of `text`, as views into it, to `pieces`; together they cover `text`
    // exactly. Invalid UTF-8 never matches the pattern (PCRE2_MATCH_INVALID_UTF): each maximal run
    // of bytes the pattern skips becomes a piece of its own, which byte-level BPE encodes bytewise.
    void split(std::string_view text, std::vector<std::string_view>& pieces) const;

private:
    struct Impl;
    PreTokenizerKind kind_;
    std::shared_ptr<const Impl> impl_;  // the compiled pattern is immutable and shared by copies
};

}  // namespace bitnet
