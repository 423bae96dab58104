#include "tools/kld_file.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace bitnet {

static_assert(std::endian::native == std::endian::little, "the logits file is little-endian");

namespace {

constexpr int64_t kMaxContext = int64_t{1} << 24;
constexpr int64_t kMaxVocab = int64_t{1} << 24;

uint64_t checked_mul(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) fail("logits file size overflows 64 bits");
    return r;
}

uint64_t checked_add(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) fail("logits file size overflows 64 bits");
    return r;
}

void check_record(std::span<const uint16_t> record) {
    if (record.size() < 4) fail(strprintf("logits record of %zu values is too short", record.size()));
}

}  // namespace

int64_t scored_per_chunk(int64_t n_ctx) { return n_ctx - 1 - n_ctx / 2; }

size_t logits_record_values(int64_t n_vocab) { return 2 * ((static_cast<size_t>(n_vocab) + 1) / 2) + 4; }

uint64_t logits_file_bytes(const LogitsFileHeader& h) {
    const auto n_ctx = static_cast<uint64_t>(h.n_ctx), n_chunk = static_cast<uint64_t>(h.n_chunk);
    const uint64_t token_bytes = checked_mul(checked_mul(n_ctx, n_chunk), sizeof(int32_t));
    const uint64_t record_bytes = checked_mul(logits_record_values(h.n_vocab), sizeof(uint16_t));
    const uint64_t records = checked_mul(static_cast<uint64_t>(scored_per_chunk(h.n_ctx)), n_chunk);
    return checked_add(checked_add(kLogitsFileHeaderBytes, token_bytes), checked_mul(records, record_bytes));
}

void encode_log_probs(std::span<const float> logits, std::span<uint16_t> record) {
    const size_t n = logits.size();
    if (n == 0) fail("cannot encode an empty logits row");
    if (record.size() != logits_record_values(static_cast<int64_t>(n))) {
        fail(strprintf("logits record has %zu values, expected %zu for %zu logits", record.size(),
                       logits_record_values(static_cast<int64_t>(n)), n));
    }
    float max_logit = logits[0], min_logit = logits[0];
    for (float v : logits) {
        max_logit = std::max(max_logit, v);
        min_logit = std::min(min_logit, v);
    }
    min_logit = std::max(min_logit, max_logit - kLogitsFileRange);
    double sum_exp = 0.0;
    for (float v : logits) sum_exp += std::exp(v - max_logit);
    const auto log_sum_exp = static_cast<float>(std::log(sum_exp));
    const float min_log_prob = min_logit - max_logit - log_sum_exp;
    const float scale = (max_logit - min_logit) / 65535.0f;
    std::memcpy(record.data(), &scale, sizeof scale);
    std::memcpy(record.data() + 2, &min_log_prob, sizeof min_log_prob);

    uint16_t* codes = record.data() + 4;
    std::fill(codes, record.data() + record.size(), uint16_t{0});
    if (scale > 0.0f) {
        const float inv_scale = 1.0f / scale;
        for (size_t i = 0; i < n; ++i) {
            if (logits[i] <= min_logit) continue;
            // Round half to even, as llama.cpp's writer does, so equal logits give equal bytes.
            const long q = std::lrint(inv_scale * (logits[i] - min_logit));
            codes[i] = static_cast<uint16_t>(std::clamp(q, 0L, 65535L));
        }
    }
}

float record_scale(std::span<const uint16_t> record) {
    check_record(record);
    float v = 0.0f;
    std::memcpy(&v, record.data(), sizeof v);
    return v;
}

float record_min_log_prob(std::span<const uint16_t> record) {
    check_record(record);
    float v = 0.0f;
    std::memcpy(&v, record.data() + 2, sizeof v);
    return v;
}

void decode_log_probs(std::span<const uint16_t> record, std::span<float> log_probs) {
    if (record.size() < log_probs.size() + 4) {
        fail(strprintf("logits record of %zu values cannot hold %zu tokens", record.size(), log_probs.size()));
    }
    const float scale = record_scale(record), min_log_prob = record_min_log_prob(record);
    for (size_t i = 0; i < log_probs.size(); ++i) log_probs[i] = scale * record[4 + i] + min_log_prob;
}

// ---- writer ----

LogitsFileWriter::LogitsFileWriter(const std::string& path, const LogitsFileHeader& header,
                                   std::span<const int32_t> tokens)
    : path_(path), header_(header) {
    if (header.n_ctx < 3 || header.n_vocab < 1 || header.n_chunk < 1) {
        fail(strprintf("logits file header n_ctx %d, n_vocab %d, n_chunk %d is invalid", header.n_ctx, header.n_vocab,
                       header.n_chunk));
    }
    const auto n_tokens = static_cast<size_t>(header.n_ctx) * static_cast<size_t>(header.n_chunk);
    if (tokens.size() < n_tokens) {
        fail(strprintf("logits file needs %zu tokens, only %zu given", n_tokens, tokens.size()));
    }
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) fail(strprintf("cannot create '%s': %s", path.c_str(), std::strerror(errno)));
    try {
        write_bytes(kLogitsFileMagic, sizeof kLogitsFileMagic);
        write_bytes(&header_.n_ctx, sizeof header_.n_ctx);
        write_bytes(&header_.n_vocab, sizeof header_.n_vocab);
        write_bytes(&header_.n_chunk, sizeof header_.n_chunk);
        write_bytes(tokens.data(), n_tokens * sizeof(int32_t));
    } catch (...) {
        abandon();
        throw;
    }
}

LogitsFileWriter::~LogitsFileWriter() { abandon(); }

void LogitsFileWriter::write_bytes(const void* data, size_t n) {
    if (n > 0 && std::fwrite(data, 1, n, file_) != n) {
        fail(strprintf("cannot write '%s': %s", path_.c_str(), std::strerror(errno)));
    }
}

void LogitsFileWriter::write_records(std::span<const uint16_t> records) {
    if (file_ == nullptr) fail(strprintf("logits file '%s' is already closed", path_.c_str()));
    const size_t nv = logits_record_values(header_.n_vocab);
    if (records.size() % nv != 0) fail(strprintf("%zu values are not whole records of %zu", records.size(), nv));
    const uint64_t expected = static_cast<uint64_t>(scored_per_chunk(header_.n_ctx)) * header_.n_chunk;
    if (records_written_ + records.size() / nv > expected) {
        fail(strprintf("logits file '%s' holds only %llu records", path_.c_str(),
                       static_cast<unsigned long long>(expected)));
    }
    write_bytes(records.data(), records.size() * sizeof(uint16_t));
    records_written_ += records.size() / nv;
}

void LogitsFileWriter::close() {
    if (file_ == nullptr) return;
    const uint64_t expected = static_cast<uint64_t>(scored_per_chunk(header_.n_ctx)) * header_.n_chunk;
    if (records_written_ != expected) {
        abandon();
        fail(strprintf("logits file '%s' is incomplete: %llu of %llu records written", path_.c_str(),
                       static_cast<unsigned long long>(records_written_), static_cast<unsigned long long>(expected)));
    }
    const bool ok = std::fflush(file_) == 0;
    const int err = errno;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ok || !closed) {
        std::remove(path_.c_str());
        fail(strprintf("cannot write '%s': %s", path_.c_str(), std::strerror(err)));
    }
}

void LogitsFileWriter::abandon() {
    if (file_ == nullptr) return;
    std::fclose(file_);
    file_ = nullptr;
    std::remove(path_.c_str());
}

// ---- reader ----

LogitsFileReader::LogitsFileReader(const std::string& path) : file_(path) {
    const uint8_t* p = file_.data();
    const size_t size = file_.size();
    if (size < kLogitsFileHeaderBytes) {
        fail(strprintf("'%s' is too short for a logits file (%zu bytes; the header alone takes %zu)", path.c_str(),
                       size, kLogitsFileHeaderBytes));
    }
    if (std::memcmp(p, kLogitsFileMagic, sizeof kLogitsFileMagic) != 0) {
        fail(strprintf("'%s' is not a logits file (it does not start with \"_logits_\")", path.c_str()));
    }
    std::memcpy(&header_.n_ctx, p + 8, 4);
    std::memcpy(&header_.n_vocab, p + 12, 4);
    std::memcpy(&header_.n_chunk, p + 16, 4);
    const LogitsFileHeader& h = header_;
    // At least one scored position per chunk: n_ctx - 1 - n_ctx/2 >= 1.
    if (h.n_ctx < 3 || h.n_ctx > kMaxContext) {
        fail(strprintf("'%s': context size %d in the header is not plausible (expected 3 .. %lld)", path.c_str(),
                       h.n_ctx, static_cast<long long>(kMaxContext)));
    }
    if (h.n_vocab < 1 || h.n_vocab > kMaxVocab) {
        fail(strprintf("'%s': vocabulary size %d in the header is not plausible (expected 1 .. %lld)", path.c_str(),
                       h.n_vocab, static_cast<long long>(kMaxVocab)));
    }
    if (h.n_chunk < 1) fail(strprintf("'%s': chunk count %d in the header must be positive", path.c_str(), h.n_chunk));
    const uint64_t expected = logits_file_bytes(h);
    if (expected != size) {
        fail(
            strprintf("'%s' is %s: its header (n_ctx %d, n_vocab %d, %d chunks) calls for %llu bytes but the file "
                      "has %zu",
                      path.c_str(), size < expected ? "truncated" : "corrupt (longer than its header says)", h.n_ctx,
                      h.n_vocab, h.n_chunk, static_cast<unsigned long long>(expected), size));
    }
    tokens_.resize(static_cast<size_t>(h.n_ctx) * static_cast<size_t>(h.n_chunk));
    std::memcpy(tokens_.data(), p + kLogitsFileHeaderBytes, tokens_.size() * sizeof(int32_t));
    for (size_t i = 0; i < tokens_.size(); ++i) {
        if (tokens_[i] < 0 || tokens_[i] >= h.n_vocab) {
            fail(strprintf("'%s' is corrupt: token %d at position %zu is outside its vocabulary of %d tokens",
                           path.c_str(), tokens_[i], i, h.n_vocab));
        }
    }
}

void LogitsFileReader::read_chunk(int64_t chunk, std::span<uint16_t> out) const {
    if (chunk < 0 || chunk >= header_.n_chunk) {
        fail(strprintf("chunk %lld is out of range (the file has %d)", static_cast<long long>(chunk), header_.n_chunk));
    }
    const size_t chunk_values =
        static_cast<size_t>(scored_per_chunk(header_.n_ctx)) * logits_record_values(header_.n_vocab);
    if (out.size() != chunk_values) {
        fail(strprintf("chunk buffer has %zu values, expected %zu", out.size(), chunk_values));
    }
    const size_t offset = kLogitsFileHeaderBytes + tokens_.size() * sizeof(int32_t) +
                          static_cast<size_t>(chunk) * chunk_values * sizeof(uint16_t);
    std::memcpy(out.data(), file_.data() + offset, chunk_values * sizeof(uint16_t));
    // Each chunk is read once; keep the resident set small for multi-gigabyte files.
    file_.advise_dontneed(offset, chunk_values * sizeof(uint16_t));
}

}  // namespace bitnet
