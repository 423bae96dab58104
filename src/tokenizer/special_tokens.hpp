#pragma once
// Splits text at special-token strings (scanning left to right, longest token at each position), so
// that no regex match and no merge crosses a special token. Control tokens are recognised only when
// the caller allows it (never inside untrusted user text); user-defined tokens always are.
#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bitnet {

class SpecialTokenSplitter {
public:
    // `always`: recognised even when parse_special is false. Empty texts are ignored.
    void add(std::string_view text, int32_t id, bool always);
    bool empty() const { return n_tokens_ == 0; }

    // Calls on_text(std::string_view) for each non-empty run of ordinary text and on_token(int32_t)
    // for each special token, in order.
    template <class OnText, class OnToken>
    void split(std::string_view text, bool parse_special, OnText&& on_text, OnToken&& on_token) const {
        if (!parse_special && n_always_ == 0) {
            if (!text.empty()) on_text(text);
            return;
        }
        size_t start = 0;
        size_t pos = 0;
        while (pos < text.size()) {
            const auto first = static_cast<uint8_t>(text[pos]);
            // Cheap rejection on the first two bytes before comparing candidates.
            if (by_first_[first].empty() ||
                (pos + 1 < text.size() && !second_[first].test(static_cast<uint8_t>(text[pos + 1])))) {
                ++pos;
                continue;
            }
            const Entry* hit = nullptr;
            for (const Entry& e : by_first_[first]) {
                if ((parse_special || e.always) && text.substr(pos, e.text.size()) == e.text) {
                    hit = &e;  // entries are sorted longest first
                    break;
                }
            }
            if (hit == nullptr) {
                ++pos;
                continue;
            }
            if (pos > start) on_text(text.substr(start, pos - start));
            on_token(hit->id);
            pos += hit->text.size();
            start = pos;
        }
        if (start < text.size()) on_text(text.substr(start));
    }

private:
    struct Entry {
        std::string text;
        int32_t id;
        bool always;
    };
    std::array<std::vector<Entry>, 256> by_first_;
    // second_[a] has bit b set when some token starts with bytes a, b (or is the single byte a).
    std::array<std::bitset<256>, 256> second_;
    size_t n_tokens_ = 0;
    size_t n_always_ = 0;
};

}  // namespace bitnet
