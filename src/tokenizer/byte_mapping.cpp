#include "tokenizer/byte_mapping.hpp"

#include <array>

#include "tokenizer/utf8.hpp"

namespace bitnet {

namespace {

constexpr uint32_t kMaxMapped = 0x100 + 68;  // the 68 non-printable bytes go to U+0100..U+0143

struct Tables {
    std::array<std::string, 256> forward;
    std::array<int16_t, kMaxMapped> reverse;  // code point -> byte, -1 if unmapped

    Tables() {
        reverse.fill(-1);
        uint32_t next = 0x100;
        for (uint32_t b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            const uint32_t cp = printable ? b : next++;
            utf8::append_code_point(forward[b], cp);
            reverse[cp] = static_cast<int16_t>(b);
        }
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

}  // namespace

std::string_view byte_to_mapped(uint8_t b) { return tables().forward[b]; }

std::string bytes_to_mapped(std::string_view bytes) {
    const Tables& t = tables();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) out += t.forward[static_cast<uint8_t>(c)];
    return out;
}

bool mapped_to_bytes(std::string_view mapped, std::string& out) {
    const Tables& t = tables();
    bool all_mapped = true;
    size_t i = 0;
    while (i < mapped.size()) {
        const utf8::Scan sc = utf8::scan_char(mapped.substr(i));
        if (sc.kind == utf8::ScanKind::Valid) {
            const uint32_t cp = utf8::decode_valid(mapped.substr(i), sc.len);
            if (cp < kMaxMapped && t.reverse[cp] >= 0) {
                out.push_back(static_cast<char>(t.reverse[cp]));
                i += sc.len;
                continue;
            }
        }
        all_mapped = false;
        out.append(mapped.substr(i, sc.len));
        i += sc.len;
    }
    return all_mapped;
}

}  // namespace bitnet
