#pragma once
// Incremental detokenization for streaming output. A token can end in the middle of a UTF-8
// character (emoji and CJK are often split across byte tokens), so bytes are buffered until the
// character is complete. The output is always valid UTF-8: bytes that can never form a character
// (and a partial character interrupted by something else, or left at flush) become U+FFFD.
#include <cstdint>
#include <string>

namespace bitnet {

class Tokenizer;

class TokenStreamDecoder {
public:
    // The tokenizer must outlive the decoder. skip_special drops control tokens.
    explicit TokenStreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);

    // Adds one token and returns the text completed by it (often empty for partial characters).
    std::string push(int32_t id);
    // Returns what is still buffered (an incomplete character becomes U+FFFD) and clears it.
    std::string flush();
    void reset() { pending_.clear(); }
    size_t pending_bytes() const { return pending_.size(); }

private:
    // Moves every complete character of pending_ to `out`, keeping a trailing partial one.
    void drain(std::string& out, bool final);

    const Tokenizer* tokenizer_;
    bool skip_special_;
    std::string pending_;
};

}  // namespace bitnet
