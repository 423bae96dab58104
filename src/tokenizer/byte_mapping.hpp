#pragma once
// GPT-2 `bytes_to_unicode`: byte-level BPE vocabularies store every token as text by mapping each
// raw byte to a printable code point (space -> U+0120 'Ġ', LF -> U+010A 'Ċ', ...).
#include <cstdint>
#include <string>
#include <string_view>

namespace bitnet {

// The UTF-8 encoding of the code point that byte `b` maps to.
std::string_view byte_to_mapped(uint8_t b);

// Maps every byte of `bytes` and returns the concatenated UTF-8 text.
std::string bytes_to_mapped(std::string_view bytes);

// Inverse mapping, appended to `out`. Characters outside the mapping (and invalid UTF-8) are kept
// as their raw bytes; returns false when that happened.
bool mapped_to_bytes(std::string_view mapped, std::string& out);

}  // namespace bitnet
