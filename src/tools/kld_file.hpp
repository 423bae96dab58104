#pragma once
// llama.cpp's KL-divergence logits file, written by `perplexity --kl-divergence-base FILE` and
// read back with `--kl-divergence`, so base and quantized models can be compared across engines.
// Layout (little-endian): "_logits_"; int32 n_ctx, n_vocab, n_chunk; int32 tokens[n_chunk * n_ctx]
// (the text's tokens, without the BOS put at each chunk start); then for every chunk and every
// scored position (n_ctx/2 .. n_ctx-2, each predicting the next token) one record of
// 2*ceil(n_vocab/2) + 4 uint16: float scale, float min_log_prob, then one code per token with
// log p(i) ~= min_log_prob + scale * code(i) (padded with a zero code when n_vocab is odd).
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "core/mapped_file.hpp"

namespace bitnet {

// Logits more than this far below the maximum share the lowest code; their probabilities
// (below e^-24 of the top token's) are too small to matter for KLD or PPL.
inline constexpr float kLogitsFileRange = 24.0f;
inline constexpr char kLogitsFileMagic[8] = {'_', 'l', 'o', 'g', 'i', 't', 's', '_'};
inline constexpr size_t kLogitsFileHeaderBytes = 8 + 3 * sizeof(int32_t);

struct LogitsFileHeader {
    int32_t n_ctx = 0;
    int32_t n_vocab = 0;
    int32_t n_chunk = 0;
};

// Positions scored per chunk: n_ctx/2 .. n_ctx-2.
int64_t scored_per_chunk(int64_t n_ctx);
// uint16 values in one record: the two floats plus n_vocab codes rounded up to an even count.
size_t logits_record_values(int64_t n_vocab);
// Exact size of a file with this header; throws if it would not fit in 64 bits.
uint64_t logits_file_bytes(const LogitsFileHeader& header);

// Quantizes one position's logits (n_vocab values) into `record` (logits_record_values values).
void encode_log_probs(std::span<const float> logits, std::span<uint16_t> record);
// The two floats at the head of a record.
float record_scale(std::span<const uint16_t> record);
float record_min_log_prob(std::span<const uint16_t> record);
// Log-probabilities of the first log_probs.size() tokens of a record.
void decode_log_probs(std::span<const uint16_t> record, std::span<float> log_probs);

// Streams a logits file. The header and tokens are written at construction; records are
// appended chunk by chunk. A file that is not completed by close() is removed, since a partial
// file would only fail later as "truncated".
class LogitsFileWriter {
public:
    LogitsFileWriter(const std::string& path, const LogitsFileHeader& header, std::span<const int32_t> tokens);
    ~LogitsFileWriter();
    LogitsFileWriter(const LogitsFileWriter&) = delete;
    LogitsFileWriter& operator=(const LogitsFileWriter&) = delete;

    // Appends whole records (a multiple of logits_record_values(n_vocab) values).
    void write_records(std::span<const uint16_t> records);
    // Flushes and closes; throws if the file does not hold every record the header promises.
    void close();

private:
    void write_bytes(const void* data, size_t n);
    void abandon();

    std::string path_;
    LogitsFileHeader header_;
    std::FILE* file_ = nullptr;
    uint64_t records_written_ = 0;
};

// A validated logits file (memory-mapped: these files reach tens of gigabytes).
class LogitsFileReader {
public:
    // Throws Error naming the problem: missing file, wrong magic, implausible header, a size
    // that does not match the header (truncated or corrupt), tokens outside the vocabulary.
    explicit LogitsFileReader(const std::string& path);

    const LogitsFileHeader& header() const { return header_; }
    const std::vector<int32_t>& tokens() const { return tokens_; }
    const std::string& path() const { return file_.path(); }
    // Copies the records of one chunk (scored_per_chunk(n_ctx) records) into `out`.
    void read_chunk(int64_t chunk, std::span<uint16_t> out) const;

private:
    MappedFile file_;
    LogitsFileHeader header_;
    std::vector<int32_t> tokens_;
};

}  // namespace bitnet
