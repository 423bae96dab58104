#pragma once
// Byte-level BPE over one pre-token piece: start from single bytes and repeatedly merge the
// adjacent pair with the lowest rank (leftmost on ties) until no adjacent pair can merge.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/token_table.hpp"

namespace bitnet {

enum class BpeOrder {
    // tiktoken (Llama-3): a pair's rank is the id of the token it forms, and a piece that is itself
    // a token is emitted whole before any merging (588 Llama-3 tokens are only reachable that way).
    Tiktoken,
    // GPT-2 / HF merges: a pair's rank is its index in the merge list; no whole-piece rule.
    MergeList,
};

enum class BpePath { Auto, Scan, Heap };  // Scan/Heap force one implementation (tests)

class BpeModel {
public:
    BpeModel() = default;
    // `table` must be indexed and must outlive the model. `merges` are "left right" strings in the
    // byte-level alphabet; a merge whose halves or result are not tokens can never apply and is
    // skipped. A byte without a token encodes as `unk_id`, or throws when there is none.
    BpeModel(const TokenTable& table, const std::vector<std::string>& merges, BpeOrder order, int32_t unk_id);

    // Appends the ids of `piece`.
    void encode_piece(std::string_view piece, std::vector<int32_t>& out, BpePath path = BpePath::Auto) const;

    size_t n_merges() const { return n_pairs_; }

private:
    struct PairSlot {
        uint64_t key = ~uint64_t{0};
        int32_t rank = 0;
        int32_t merged = 0;
    };
    static uint64_t pair_key(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }
    void insert_pair(int32_t left, int32_t right, int32_t rank, int32_t merged);
    // Rank of merging (left, right) and the resulting id; false when the pair does not merge.
    bool find_pair(int32_t left, int32_t right, int32_t& rank, int32_t& merged) const;
    int32_t byte_id(uint8_t b) const;
    void encode_scan(std::string_view piece, std::vector<int32_t>& out) const;
    void encode_heap(std::string_view piece, std::vector<int32_t>& out) const;

    const TokenTable* table_ = nullptr;
    BpeOrder order_ = BpeOrder::Tiktoken;
    int32_t unk_id_ = -1;
    int32_t byte_ids_[256] = {};
    std::vector<PairSlot> pairs_;
    uint64_t pair_mask_ = 0;
    size_t n_pairs_ = 0;
};

}  // namespace bitnet
