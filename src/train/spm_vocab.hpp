#pragma once
// A SentencePiece vocabulary as `spm_export_vocab` writes it (one "piece<TAB>score" line per id)
// turned into a GGUF "llama" vocabulary: <unk> UNKNOWN, <s>/</s> CONTROL (BOS/EOS), <0xNN> BYTE,
// every other piece NORMAL with its score, so the engine's SentencePiece encoder (src/tokenizer/spm)
// merges pieces in the trained order.
#include <string>
#include <string_view>

#include "tokenizer/vocab.hpp"

namespace bitnet {

Vocab vocab_from_spm_export(std::string_view text, const std::string& name);
// Reads the file; a GGUF (by its magic) is read with vocab_from_gguf instead.
Vocab load_vocab_file(const std::string& path);

}  // namespace bitnet
