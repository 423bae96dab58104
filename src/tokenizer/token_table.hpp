#pragma once
// Token id <-> raw bytes. The bytes of all tokens live in one arena; the reverse lookup is an
// open-addressing hash table (string_view keys, no per-token allocation), since encoding looks up
// every pre-token piece and every BPE candidate.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bitnet {

uint64_t hash_bytes(std::string_view s);

class TokenTable {
public:
    // Appends a token and returns its id (ids are dense, in insertion order).
    int32_t add(std::string_view bytes);
    void reserve(size_t n_tokens, size_t n_bytes);

    int32_t size() const { return static_cast<int32_t>(offsets_.size() - 1); }
    std::string_view bytes(int32_t id) const {
        return std::string_view(arena_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
    }

    // Indexes the ids for which indexed[id] is true (all ids when `indexed` is empty). When two
    // indexed tokens have the same bytes the lower id wins.
    void build_index(const std::vector<bool>& indexed = {});
    // The id whose bytes equal `s`, or -1.
    int32_t find(std::string_view s) const;

private:
    struct Slot {
        int32_t id = -1;
        uint32_t tag = 0;  // high hash bits, so most mismatches skip the byte comparison
    };
    std::string arena_;
    std::vector<uint32_t> offsets_{0};
    std::vector<Slot> slots_;
    uint64_t mask_ = 0;
};

}  // namespace bitnet
