#pragma once
// The tokenizer files of a Hugging Face checkpoint -> the GGUF vocabulary (tokenizer.ggml.*):
//   tokenizer.json (byte-level BPE): tokens by id, merges ("a b" or ["a", "b"]), added tokens
//     (special -> CONTROL, others USER_DEFINED), the pre-tokenizer chosen by its Split regex;
//   tokenizer.model (SentencePiece) plus added_tokens.json;
//   tokenizer_config.json: BOS/EOS, add_bos_token, chat_template.
// Ids missing up to the model's vocabulary size become "[PAD<id>]" (USER_DEFINED), as in llama.cpp.
#include <cstdint>
#include <string>

#include "tokenizer/vocab.hpp"

namespace bitnet {

struct HfConfig;

// tokenizer.json text -> tokens, types, merges, pre-tokenizer (ids as in the file, no padding).
Vocab vocab_from_tokenizer_json(const std::string& text, const std::string& name);

// llama.cpp's tokenizer.ggml.pre name of a Split regex, or an Error that prints the regex.
std::string pretokenizer_for_regex(const std::string& regex, const std::string& name);

// The whole conversion from a directory (tokenizer.json preferred over tokenizer.model), padded to
// config.vocab_size; `config` also supplies BOS/EOS ids the tokenizer files leave out.
Vocab read_hf_tokenizer(const std::string& dir, const HfConfig& config);

}  // namespace bitnet
