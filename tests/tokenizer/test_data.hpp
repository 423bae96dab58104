#pragma once
// Shared fixtures for the tokenizer tests: the Llama-3 test vectors and vocabulary from
// tests/data/tokenizer (see its PROVENANCE.md), loaded once per process.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab.hpp"

namespace bitnet::test {

struct TokVector {
    std::string text;
    std::vector<int32_t> ids;
    bool special = false;
};

std::string tokenizer_data_dir();
const std::vector<TokVector>& llama3_vectors();
const Vocab& llama3_vocab();           // from llama3.tiktoken
const Tokenizer& llama3_tokenizer();   // built from llama3_vocab()

// A small byte-level vocabulary: the 256 bytes (ids 0..255), "ab" (256), "abc" (257), "Ġab" (258),
// control tokens "<s>" (259, BOS) and "</s>" (260, EOS); merges "a b", "ab c", "Ġ ab"; pre "gpt2".
Vocab tiny_bpe_vocab();

// Vocab -> GGUF image -> Vocab. `image` keeps the bytes the parsed file points into.
Vocab gguf_round_trip(const Vocab& vocab, bool include_pre, std::vector<uint8_t>& image);

// Failure-message helpers: C-style escaped text and "[1, 2, 3]".
std::string show_text(std::string_view text);
std::string show_ids(const std::vector<int32_t>& ids);

}  // namespace bitnet::test
