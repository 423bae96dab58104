#include "tokenizer/token_table.hpp"

#include <cstring>

#include "core/error.hpp"

namespace bitnet {

uint64_t hash_bytes(std::string_view s) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (s.size() * 0xC2B2AE3D27D4EB4Full);
    const char* p = s.data();
    size_t n = s.size();
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t w = 0;
        std::memcpy(&w, p, n);
        h = (h ^ w) * 0x94D049BB133111EBull;
        h ^= h >> 29;
    }
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h;
}

int32_t TokenTable::add(std::string_view bytes) {
    if (arena_.size() + bytes.size() > UINT32_MAX) fail("tokenizer: token bytes exceed 4 GiB");
    arena_.append(bytes);
    offsets_.push_back(static_cast<uint32_t>(arena_.size()));
    return size() - 1;
}

void TokenTable::reserve(size_t n_tokens, size_t n_bytes) {
    offsets_.reserve(n_tokens + 1);
    arena_.reserve(n_bytes);
}

void TokenTable::build_index(const std::vector<bool>& indexed) {
    size_t cap = 16;
    while (cap < static_cast<size_t>(size()) * 2) cap *= 2;  // load factor <= 0.5
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (int32_t id = 0; id < size(); ++id) {
        if (!indexed.empty() && !indexed[id]) continue;
        const std::string_view s = bytes(id);
        const uint64_t h = hash_bytes(s);
        const uint32_t tag = static_cast<uint32_t>(h >> 32);
        for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
            Slot& slot = slots_[i];
            if (slot.id < 0) {
                slot = Slot{id, tag};
                break;
            }
            if (slot.tag == tag && bytes(slot.id) == s) break;  // duplicate: keep the lower id
        }
    }
}

int32_t TokenTable::find(std::string_view s) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash_bytes(s);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
        const Slot& slot = slots_[i];
        if (slot.id < 0) return -1;
        if (slot.tag == tag && bytes(slot.id) == s) return slot.id;
    }
}

}  // namespace bitnet
