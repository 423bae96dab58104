#include "tokenizer/stream_decoder.hpp"

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/utf8.hpp"

namespace bitnet {

TokenStreamDecoder::TokenStreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(&tokenizer), skip_special_(skip_special) {}

std::string TokenStreamDecoder::push(int32_t id) {
    const std::string_view bytes = tokenizer_->token_view(id);
    if (skip_special_ && tokenizer_->is_control(id)) return {};
    pending_.append(bytes);
    std::string out;
    drain(out, false);
    return out;
}

std::string TokenStreamDecoder::flush() {
    std::string out;
    drain(out, true);
    return out;
}

void TokenStreamDecoder::drain(std::string& out, bool final) {
    const std::string_view s = pending_;
    size_t i = 0;
    while (i < s.size()) {
        const utf8::Scan sc = utf8::scan_char(s.substr(i));
        if (sc.kind == utf8::ScanKind::Truncated && !final) break;  // wait for the next token
        if (sc.kind == utf8::ScanKind::Valid) {
            out.append(s.substr(i, sc.len));
        } else {
            out.append(utf8::kReplacement);
        }
        i += sc.len;
    }
    pending_.erase(0, i);
}

}  // namespace bitnet
