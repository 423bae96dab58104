#include "tokenizer/special_tokens.hpp"

#include <algorithm>

namespace bitnet {

void SpecialTokenSplitter::add(std::string_view text, int32_t id, bool always) {
    if (text.empty()) return;
    auto& bucket = by_first_[static_cast<uint8_t>(text[0])];
    for (const Entry& e : bucket) {
        if (e.text == text) return;  // the lower id keeps a duplicated text
    }
    bucket.push_back(Entry{std::string(text), id, always});
    if (text.size() >= 2) {
        second_[static_cast<uint8_t>(text[0])].set(static_cast<uint8_t>(text[1]));
    } else {
        second_[static_cast<uint8_t>(text[0])].set();  // a one-byte token matches whatever follows
    }
    std::stable_sort(bucket.begin(), bucket.end(),
                     [](const Entry& a, const Entry& b) { return a.text.size() > b.text.size(); });
    ++n_tokens_;
    if (always) ++n_always_;
}

}  // namespace bitnet
