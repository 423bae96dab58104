#pragma once
// Training and validation batches cut from a token stream. Training windows are drawn from a hash
// of (seed, step, sequence), so the batch of a step never depends on what ran before it: a resumed
// run sees exactly the batches the uninterrupted run would have. Validation follows llama.cpp's
// perplexity protocol (src/tools/perplexity.hpp), so exp(validation loss) is what
// `bitnet perplexity` reports for the exported model on the same tokens.
#include <cstdint>
#include <vector>

namespace bitnet {

struct TokenBatch {
    std::vector<int32_t> inputs, targets;  // n_seq × len, row-major; target -1 = not scored
    int64_t n_seq = 0, len = 0;
};

// n_seq windows of len tokens: BOS, then len - 1 tokens from a random offset; every position
// predicts the next token (the first predicts the window's first corpus token).
// The stream needs at least len tokens.
void sample_train_batch(const std::vector<int32_t>& tokens, uint64_t seed, int64_t step, int64_t n_seq, int64_t len,
                        int32_t bos, TokenBatch& out);

// Chunks c of len tokens of `tokens` (a stream that starts with BOS, as the perplexity tool
// tokenizes), BOS in place of each chunk's first token, positions len/2 .. len-2 scored.
// At most max_chunks chunks (-1: all whole chunks).
int64_t validation_chunks(const std::vector<int32_t>& tokens, int64_t len, int64_t max_chunks);
void validation_batch(const std::vector<int32_t>& tokens, int64_t len, int32_t bos, int64_t first_chunk,
                      int64_t n_chunks, TokenBatch& out);

}  // namespace bitnet
