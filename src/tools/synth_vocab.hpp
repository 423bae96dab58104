#pragma once
#include "tokenizer/vocab.hpp"

namespace bitnet {

// A small byte-level BPE vocabulary for synthetic models made without a tiktoken file: the 256
// bytes, a few hundred merges of common English pairs, and Llama-3-style special tokens (BOS,
// EOS, EOT and the header tokens), so every text is encodable and specials behave as usual.
Vocab builtin_byte_vocab();

}  // namespace bitnet
