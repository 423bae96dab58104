#include "train/data.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace bitnet {

namespace {

uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

}  // namespace

void sample_train_batch(const std::vector<int32_t>& tokens, uint64_t seed, int64_t step, int64_t n_seq, int64_t len,
                        int32_t bos, TokenBatch& out) {
    const auto n = static_cast<int64_t>(tokens.size());
    if (n < len) {
        fail(strprintf("train: the training text has %lld tokens, fewer than the context of %lld", static_cast<long long>(n),
                       static_cast<long long>(len)));
    }
    out.n_seq = n_seq;
    out.len = len;
    out.inputs.resize(static_cast<size_t>(n_seq * len));
    out.targets.resize(out.inputs.size());
    const auto starts = static_cast<uint64_t>(n - len + 1);
    for (int64_t i = 0; i < n_seq; ++i) {
        const auto start = static_cast<int64_t>(mix(mix(seed, static_cast<uint64_t>(step)), static_cast<uint64_t>(i)) % starts);
        int32_t* in = out.inputs.data() + i * len;
        int32_t* tg = out.targets.data() + i * len;
        in[0] = bos;
        for (int64_t j = 1; j < len; ++j) in[j] = tokens[static_cast<size_t>(start + j - 1)];
        for (int64_t j = 0; j < len; ++j) tg[j] = tokens[static_cast<size_t>(start + j)];
    }
}

int64_t validation_chunks(const std::vector<int32_t>& tokens, int64_t len, int64_t max_chunks) {
    const int64_t all = static_cast<int64_t>(tokens.size()) / len;
    return max_chunks < 0 ? all : std::min(all, max_chunks);
}

void validation_batch(const std::vector<int32_t>& tokens, int64_t len, int32_t bos, int64_t first_chunk,
                      int64_t n_chunks, TokenBatch& out) {
    out.n_seq = n_chunks;
    out.len = len;
    out.inputs.resize(static_cast<size_t>(n_chunks * len));
    out.targets.assign(out.inputs.size(), -1);
    for (int64_t c = 0; c < n_chunks; ++c) {
        const int32_t* src = tokens.data() + (first_chunk + c) * len;
        int32_t* in = out.inputs.data() + c * len;
        int32_t* tg = out.targets.data() + c * len;
        std::copy(src, src + len, in);
        in[0] = bos;
        for (int64_t j = len / 2; j <= len - 2; ++j) tg[j] = src[j + 1];
    }
}

}  // namespace bitnet
