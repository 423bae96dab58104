#pragma once
// Text <-> token ids for the model's vocabulary: byte-level BPE (tokenizer.ggml.model "gpt2",
// Llama-3 for BitNet b1.58 2B-4T) and SentencePiece-style vocabularies ("llama"). Immutable after
// construction; encode/decode are safe to call from several threads at once. Copies share state.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.hpp"

namespace bitnet {

class GgufFile;

class Tokenizer {
public:
    // Validates the vocabulary (model, array lengths, merges, pre-tokenizer) and builds the lookup
    // tables. Throws Error naming the problem.
    explicit Tokenizer(const Vocab& vocab);
    static Tokenizer from_gguf(const GgufFile& file);

    // Special-token strings become their ids only with parse_special (use it for rendered chat
    // templates, never for untrusted user text); otherwise they are ordinary text. Input that is not
    // valid UTF-8 is accepted: byte-level BPE encodes the invalid bytes on their own, so decode()
    // still gives the input back exactly.
    std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const;

    // Raw bytes of a token (special tokens give their text). Throws for unknown ids.
    std::string token_bytes(int32_t id) const { return std::string(token_view(id)); }
    std::string_view token_view(int32_t id) const;
    // Concatenated token bytes, possibly not valid UTF-8 (see TokenStreamDecoder for display).
    // skip_special drops control tokens (BOS, EOS, <|eot_id|>, ...).
    std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

    bool is_control(int32_t id) const;
    // Control and user-defined tokens: rendered from their text, split out by encode().
    bool is_special(int32_t id) const;
    // End of generation: EOS, EOT, and any other control token except BOS (a model that emits a
    // reserved or header token has left the chat format; stopping is the safe choice).
    bool is_eog(int32_t id) const;

    int32_t bos() const;
    int32_t eos() const;
    int32_t eot() const;
    int32_t pad() const;
    int32_t unk() const;
    bool add_bos_default() const;  // tokenizer.ggml.add_bos_token
    bool add_eos_default() const;  // tokenizer.ggml.add_eos_token
    int32_t n_vocab() const;
    // Human-readable kind, e.g. "gpt2/llama3" or "llama (SentencePiece)".
    std::string description() const;

    // Id of the control or user-defined token with exactly this text.
    std::optional<int32_t> find_special(std::string_view name) const;
    // Throws "token id 999999 is out of range (vocabulary has 128256 tokens)" for unknown ids.
    void check_id(int32_t id) const;

    struct State;

private:
    std::shared_ptr<const State> state_;
};

}  // namespace bitnet
