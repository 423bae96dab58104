#include "tokenizer/bpe.hpp"

#include <algorithm>
#include <limits>
#include <queue>

#include "core/error.hpp"
#include "tokenizer/byte_mapping.hpp"

namespace bitnet {

namespace {

constexpr int32_t kNoRank = std::numeric_limits<int32_t>::max();
// Pieces up to this many bytes use the quadratic scan, which beats the heap on short words.
constexpr size_t kScanMax = 96;

uint64_t mix_pair(uint64_t key) {
    key ^= key >> 29;
    key *= 0xBF58476D1CE4E5B9ull;
    key ^= key >> 32;
    return key;
}

}  // namespace

BpeModel::BpeModel(const TokenTable& table, const std::vector<std::string>& merges, BpeOrder order, int32_t unk_id)
    : table_(&table), order_(order), unk_id_(unk_id) {
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        byte_ids_[b] = table.find(std::string_view(&c, 1));
    }

    size_t cap = 16;
    while (cap < merges.size() + merges.size() / 2) cap *= 2;  // load factor <= 2/3
    pairs_.assign(cap, PairSlot{});
    pair_mask_ = cap - 1;

    std::string left;
    std::string right;
    for (size_t i = 0; i < merges.size(); ++i) {
        const std::string& m = merges[i];
        const size_t sp = m.find(' ', 1);  // llama.cpp: the first space after the first character
        if (sp == std::string::npos) fail(strprintf("tokenizer merge %zu ('%s') has no space", i, m.c_str()));
        left.clear();
        right.clear();
        mapped_to_bytes(std::string_view(m).substr(0, sp), left);
        mapped_to_bytes(std::string_view(m).substr(sp + 1), right);
        const int32_t l = table.find(left);
        const int32_t r = table.find(right);
        if (l < 0 || r < 0) continue;
        const int32_t merged = table.find(left + right);
        if (merged < 0) continue;
        const int32_t rank = order == BpeOrder::Tiktoken ? merged : static_cast<int32_t>(i);
        insert_pair(l, r, rank, merged);
    }
}

void BpeModel::insert_pair(int32_t left, int32_t right, int32_t rank, int32_t merged) {
    const uint64_t key = pair_key(left, right);
    for (uint64_t i = mix_pair(key) & pair_mask_;; i = (i + 1) & pair_mask_) {
        PairSlot& s = pairs_[i];
        if (s.key == key) return;  // a repeated merge keeps its first (lowest) rank
        if (s.key == ~uint64_t{0}) {
            s = PairSlot{key, rank, merged};
            ++n_pairs_;
            return;
        }
    }
}

bool BpeModel::find_pair(int32_t left, int32_t right, int32_t& rank, int32_t& merged) const {
    const uint64_t key = pair_key(left, right);
    for (uint64_t i = mix_pair(key) & pair_mask_;; i = (i + 1) & pair_mask_) {
        const PairSlot& s = pairs_[i];
        if (s.key == key) {
            rank = s.rank;
            merged = s.merged;
            return true;
        }
        if (s.key == ~uint64_t{0}) return false;
    }
}

int32_t BpeModel::byte_id(uint8_t b) const {
    const int32_t id = byte_ids_[b];
    if (id >= 0) return id;
    if (unk_id_ >= 0) return unk_id_;
    fail(strprintf("tokenizer: byte 0x%02X has no token and the vocabulary has no unknown token", b));
}

void BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>& out, BpePath path) const {
    if (piece.empty()) return;
    if (order_ == BpeOrder::Tiktoken && path == BpePath::Auto) {
        const int32_t whole = table_->find(piece);
        if (whole >= 0) {
            out.push_back(whole);
            return;
        }
    }
    if (piece.size() == 1) {
        out.push_back(byte_id(static_cast<uint8_t>(piece[0])));
        return;
    }
    const bool scan = path == BpePath::Scan || (path == BpePath::Auto && piece.size() <= kScanMax);
    if (scan) {
        encode_scan(piece, out);
    } else {
        encode_heap(piece, out);
    }
}

// O(n^2) in the piece length, no allocation: parts and pair ranks live in small arrays that shift
// down after each merge.
void BpeModel::encode_scan(std::string_view piece, std::vector<int32_t>& out) const {
    std::vector<int32_t> heap_buf;
    int32_t stack_buf[3 * kScanMax];
    int32_t* buf = stack_buf;
    const size_t n0 = piece.size();
    if (n0 > kScanMax) {
        heap_buf.resize(3 * n0);
        buf = heap_buf.data();
    }
    int32_t* ids = buf;
    int32_t* ranks = buf + n0;     // ranks[i]: merging ids[i] and ids[i + 1]
    int32_t* merged = buf + 2 * n0;
    size_t n = n0;
    for (size_t i = 0; i < n; ++i) ids[i] = byte_id(static_cast<uint8_t>(piece[i]));
    const auto rank_at = [&](size_t i) {
        if (!find_pair(ids[i], ids[i + 1], ranks[i], merged[i])) ranks[i] = kNoRank;
    };
    for (size_t i = 0; i + 1 < n; ++i) rank_at(i);
    while (n > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < n; ++i) {
            if (ranks[i] < ranks[best]) best = i;
        }
        if (ranks[best] == kNoRank) break;
        ids[best] = merged[best];
        std::copy(ids + best + 2, ids + n, ids + best + 1);
        std::copy(ranks + best + 1, ranks + n - 1, ranks + best);
        std::copy(merged + best + 1, merged + n - 1, merged + best);
        --n;
        if (best > 0) rank_at(best - 1);
        if (best + 1 < n) rank_at(best);
    }
    out.insert(out.end(), ids, ids + n);
}

// O(n log n) for long pieces (runs of thousands of characters): parts in a doubly linked list,
// candidate pairs in a min-heap ordered by (rank, position). Entries are not removed when a merge
// changes their parts; a popped entry is used only if its two parts are still adjacent and still
// merge with the same rank.
void BpeModel::encode_heap(std::string_view piece, std::vector<int32_t>& out) const {
    const auto n = static_cast<int32_t>(piece.size());
    std::vector<int32_t> ids(n);
    std::vector<int32_t> next(n);
    std::vector<int32_t> prev(n);
    for (int32_t i = 0; i < n; ++i) {
        ids[i] = byte_id(static_cast<uint8_t>(piece[i]));
        next[i] = i + 1 < n ? i + 1 : -1;
        prev[i] = i - 1;
    }
    struct Candidate {
        int32_t rank;
        int32_t left;
        int32_t right;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
    const auto push = [&](int32_t left) {
        if (left < 0 || next[left] < 0) return;
        int32_t rank = 0;
        int32_t merged = 0;
        if (find_pair(ids[left], ids[next[left]], rank, merged)) heap.push({rank, left, next[left]});
    };
    for (int32_t i = 0; i + 1 < n; ++i) push(i);
    std::vector<bool> dead(n, false);
    while (!heap.empty()) {
        const Candidate c = heap.top();
        heap.pop();
        if (dead[c.left] || next[c.left] != c.right) continue;
        int32_t rank = 0;
        int32_t merged = 0;
        if (!find_pair(ids[c.left], ids[c.right], rank, merged) || rank != c.rank) continue;
        ids[c.left] = merged;
        dead[c.right] = true;
        next[c.left] = next[c.right];
        if (next[c.right] >= 0) prev[next[c.right]] = c.left;
        push(prev[c.left]);
        push(c.left);
    }
    for (int32_t i = 0; i >= 0; i = next[i]) out.push_back(ids[i]);
}

}  // namespace bitnet
