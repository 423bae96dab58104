#pragma once
// The tokenizer vocabulary as GGUF stores it (tokenizer.ggml.* keys), plus the loaders that fill it
// from a GGUF file or from a tiktoken rank file, and the writer that puts it back into a GGUF.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitnet {

class GgufFile;
class GgufWriter;

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
namespace token_type {
inline constexpr int32_t kUndefined = 0;
inline constexpr int32_t kNormal = 1;
inline constexpr int32_t kUnknown = 2;
inline constexpr int32_t kControl = 3;
inline constexpr int32_t kUserDefined = 4;
inline constexpr int32_t kUnused = 5;
inline constexpr int32_t kByte = 6;
}  // namespace token_type

struct Vocab {
    std::string model;                // "gpt2" (byte-level BPE) or "llama" (SentencePiece)
    std::vector<std::string> tokens;  // GGUF text: byte-mapped for gpt2, '▁' for spaces for llama
    std::vector<float> scores;        // same length as tokens
    std::vector<int32_t> token_types; // same length as tokens, token_type::*
    std::vector<std::string> merges;  // "left right" in GGUF text; the index is the merge rank
    std::optional<std::string> pre;   // tokenizer.ggml.pre (absent in the official BitNet GGUF)
    int32_t bos_id = -1;
    int32_t eos_id = -1;
    int32_t eot_id = -1;
    int32_t pad_id = -1;
    int32_t unk_id = -1;
    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = true;     // SentencePiece only: prepend "▁" to the text
    std::optional<std::string> chat_template;

    int32_t size() const { return static_cast<int32_t>(tokens.size()); }
    // True for the Llama-3 vocabulary (128,000 BPE ranks + 256 specials, <|begin_of_text|> at 128000).
    bool is_llama3() const;
};

// Reads and validates the tokenizer.ggml.* keys. EOT is inferred from the token text "<|eot_id|>"
// (and a few other end-of-turn names) when tokenizer.ggml.eot_token_id is absent.
Vocab vocab_from_gguf(const GgufFile& file);

// Builds the GGUF-style Llama-3 vocabulary from a tiktoken file ("BASE64 RANK" lines): the ranked
// tokens in the byte-level alphabet, then the 256 Llama-3 special tokens, and the merges derived
// from the ranks (every split of a token into two tokens, in rank order).
Vocab vocab_from_tiktoken(const std::string& path);
// Same, from the file's contents (`name` appears in error messages).
Vocab vocab_from_tiktoken_text(std::string_view text, const std::string& name = "<memory>");

// The 256 Llama-3 special-token names, in id order starting at 128000.
std::vector<std::string> llama3_special_tokens();

// Writes the tokenizer.ggml.* keys the way the official BitNet GGUF has them. With include_pre the
// pre-tokenizer name is written too (vocab.pre, or "llama-bpe" for the Llama-3 vocabulary).
void write_vocab(GgufWriter& writer, const Vocab& vocab, bool include_pre);

}  // namespace bitnet
