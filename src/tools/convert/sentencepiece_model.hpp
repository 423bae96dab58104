#pragma once
// SentencePiece `tokenizer.model` (a ModelProto protobuf) -> the GGUF "llama" vocabulary the engine
// reads (src/tokenizer/spm.cpp): pieces with their scores and types, the unknown/BOS/EOS/PAD ids of
// the trainer spec, and the normalizer's add_dummy_prefix. Only BPE models (Llama-2 and its
// descendants) are accepted; the engine's SentencePiece encoder is the BPE one.
#include <string>
#include <string_view>

#include "tokenizer/vocab.hpp"

namespace bitnet {

Vocab vocab_from_sentencepiece(std::string_view bytes, const std::string& name);
Vocab vocab_from_sentencepiece_file(const std::string& path);

}  // namespace bitnet
