#pragma once
// Strict UTF-8 scanning (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), shared by
// the byte-level mapping and the streaming decoder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bitnet::utf8 {

enum class ScanKind {
    Valid,      // `len` bytes form one complete character
    Truncated,  // the bytes so far are a valid prefix of a character, but the input ends early
    Invalid,    // `len` bytes (the maximal valid-looking subpart, at least 1) can never be a character
};

struct Scan {
    ScanKind kind;
    size_t len;
};

// Classifies the character starting at s[0]; `s` must not be empty.
Scan scan_char(std::string_view s);

// Decodes the valid character at s[0] (precondition: scan_char(s) is Valid) and returns its code point.
uint32_t decode_valid(std::string_view s, size_t len);

void append_code_point(std::string& out, uint32_t cp);

bool is_valid(std::string_view s);

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace bitnet::utf8
