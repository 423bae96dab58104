#include "tokenizer/utf8.hpp"

namespace bitnet::utf8 {

namespace {

// Allowed range of the second byte for a lead byte; later continuation bytes are always 80..BF.
// The narrowed ranges exclude overlongs (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
struct LeadInfo {
    uint8_t len;
    uint8_t lo;
    uint8_t hi;
};

LeadInfo lead_info(uint8_t b) {
    if (b < 0x80) return {1, 0, 0};
    if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
    if (b == 0xE0) return {3, 0xA0, 0xBF};
    if (b == 0xED) return {3, 0x80, 0x9F};
    if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
    if (b == 0xF0) return {4, 0x90, 0xBF};
    if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
    if (b == 0xF4) return {4, 0x80, 0x8F};
    return {0, 0, 0};  // continuation byte, C0, C1 or F5..FF: never starts a character
}

}  // namespace

Scan scan_char(std::string_view s) {
    const LeadInfo info = lead_info(static_cast<uint8_t>(s[0]));
    if (info.len == 1) return {ScanKind::Valid, 1};
    if (info.len == 0) return {ScanKind::Invalid, 1};
    for (size_t i = 1; i < info.len; ++i) {
        if (i >= s.size()) return {ScanKind::Truncated, i};
        const uint8_t c = static_cast<uint8_t>(s[i]);
        const uint8_t lo = i == 1 ? info.lo : 0x80;
        const uint8_t hi = i == 1 ? info.hi : 0xBF;
        if (c < lo || c > hi) return {ScanKind::Invalid, i};
    }
    return {ScanKind::Valid, info.len};
}

uint32_t decode_valid(std::string_view s, size_t len) {
    const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(s[i])); };
    switch (len) {
        case 1: return b(0);
        case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
        case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
        default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    }
}

void append_code_point(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

bool is_valid(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        if (static_cast<uint8_t>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const Scan sc = scan_char(s.substr(i));
        if (sc.kind != ScanKind::Valid) return false;
        i += sc.len;
    }
    return true;
}

}  // namespace bitnet::utf8
