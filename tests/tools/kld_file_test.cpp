// The llama.cpp logits-file codec: record layout, quantization bounds, header bytes, validation.
#include "tools/kld_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace bitnet {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() : path_(fs::temp_directory_path() / ("bitnet-kld-test-" + std::to_string(::getpid()))) {
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::string reader_error(const std::string& path) {
    try {
        LogitsFileReader r(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

std::vector<double> exact_log_probs(const std::vector<float>& logits) {
    const double max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float v : logits) sum += std::exp(v - max);
    std::vector<double> out;
    for (float v : logits) out.push_back(v - max - std::log(sum));
    return out;
}

// A complete file with the given header, its tokens 0, 1, 2, ... and records of random logits.
void write_file(const std::string& path, LogitsFileHeader h) {
    std::vector<int32_t> tokens(static_cast<size_t>(h.n_ctx) * h.n_chunk);
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>(i % static_cast<size_t>(h.n_vocab));
    LogitsFileWriter w(path, h, tokens);
    std::mt19937 rng(5);
    std::normal_distribution<float> dist(0.0f, 3.0f);
    std::vector<float> logits(static_cast<size_t>(h.n_vocab));
    std::vector<uint16_t> record(logits_record_values(h.n_vocab));
    for (int64_t i = 0; i < scored_per_chunk(h.n_ctx) * h.n_chunk; ++i) {
        for (float& v : logits) v = dist(rng);
        encode_log_probs(logits, record);
        w.write_records(record);
    }
    w.close();
}

TEST(KldFile, RecordAndChunkSizes) {
    EXPECT_EQ(logits_record_values(1), 6u);
    EXPECT_EQ(logits_record_values(4), 8u);
    EXPECT_EQ(logits_record_values(5), 10u);  // odd: padded to an even number of codes
    EXPECT_EQ(logits_record_values(128256), 128260u);
    EXPECT_EQ(logits_record_values(32001), 32006u);
    EXPECT_EQ(scored_per_chunk(512), 255);
    EXPECT_EQ(scored_per_chunk(64), 31);
    EXPECT_EQ(scored_per_chunk(5), 2);
    EXPECT_EQ(scored_per_chunk(3), 1);
    // 20 header bytes + 4 * n_ctx * n_chunk token bytes + records.
    EXPECT_EQ(logits_file_bytes({512, 128256, 2}), 20u + 4u * 1024u + 2u * 255u * 128260u * 2u);
}

TEST(KldFile, RoundTripWithinQuantizationError) {
    for (int n_vocab : {1001, 1000}) {
        std::mt19937 rng(static_cast<unsigned>(n_vocab));
        std::uniform_real_distribution<float> dist(-10.0f, 10.0f);
        std::vector<float> logits(static_cast<size_t>(n_vocab));
        for (float& v : logits) v = dist(rng);
        std::vector<uint16_t> record(logits_record_values(n_vocab), 0xffff);
        encode_log_probs(logits, record);
        const float scale = record_scale(record);
        const float max = *std::max_element(logits.begin(), logits.end());
        const float min = *std::min_element(logits.begin(), logits.end());
        ASSERT_LT(max - min, kLogitsFileRange);  // no clamping in this test
        EXPECT_FLOAT_EQ(scale, (max - min) / 65535.0f);
        std::vector<float> decoded(static_cast<size_t>(n_vocab));
        decode_log_probs(record, decoded);
        const std::vector<double> exact = exact_log_probs(logits);
        for (int i = 0; i < n_vocab; ++i) {
            EXPECT_NEAR(decoded[static_cast<size_t>(i)], exact[static_cast<size_t>(i)], 0.5 * scale + 2e-5) << i;
        }
        if (n_vocab % 2 == 1) {
            EXPECT_EQ(record.back(), 0) << "padding code";
        }
        // The extreme logits get the extreme codes.
        const auto imax = static_cast<size_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
        const auto imin = static_cast<size_t>(std::min_element(logits.begin(), logits.end()) - logits.begin());
        EXPECT_EQ(record[4 + imax], 65535);
        EXPECT_EQ(record[4 + imin], 0);
    }
}

TEST(KldFile, MinLogitIsClampedToMaxMinusRange) {
    std::vector<float> logits = {5.0f, 2.0f, -100.0f, 4.0f, -30.0f};
    std::vector<uint16_t> record(logits_record_values(5));
    encode_log_probs(logits, record);
    const double lse = std::log(std::exp(0.0) + std::exp(-3.0) + std::exp(-105.0) + std::exp(-1.0) + std::exp(-35.0));
    EXPECT_FLOAT_EQ(record_scale(record), kLogitsFileRange / 65535.0f);
    EXPECT_NEAR(record_min_log_prob(record), -kLogitsFileRange - lse, 1e-5);
    EXPECT_EQ(record[4 + 0], 65535);
    EXPECT_EQ(record[4 + 2], 0);  // far below max - 24: the lowest code
    EXPECT_EQ(record[4 + 4], 0);  // -30 < 5 - 24 as well
    EXPECT_EQ(record[4 + 1], std::lrint((2.0 - (5.0 - kLogitsFileRange)) / (kLogitsFileRange / 65535.0)));
    std::vector<float> decoded(5);
    decode_log_probs(record, decoded);
    EXPECT_NEAR(decoded[2], -kLogitsFileRange - lse, 1e-5);  // clamped: reads as the floor
    EXPECT_NEAR(decoded[3], -1.0 - lse, 2e-4);
}

TEST(KldFile, EqualLogitsGiveZeroScaleAndZeroCodes) {
    std::vector<float> logits(7, 1.5f);
    std::vector<uint16_t> record(logits_record_values(7), 0xabcd);
    encode_log_probs(logits, record);
    EXPECT_EQ(record_scale(record), 0.0f);
    EXPECT_NEAR(record_min_log_prob(record), -std::log(7.0), 1e-6);
    for (size_t i = 4; i < record.size(); ++i) EXPECT_EQ(record[i], 0) << i;
    std::vector<float> decoded(7);
    decode_log_probs(record, decoded);
    for (float v : decoded) EXPECT_NEAR(v, -std::log(7.0), 1e-6);
}

TEST(KldFile, ExactHeaderAndRecordBytes) {
    TempDir dir;
    const std::string path = dir.file("layout.kld");
    const std::vector<int32_t> tokens = {2, 0, 1, 2};
    LogitsFileWriter w(path, {4, 3, 1}, tokens);
    // One chunk of n_ctx 4 scores one position; n_vocab 3 gives 4 codes (one of padding).
    const std::vector<float> logits = {0.0f, 1.0f, 0.5f};
    std::vector<uint16_t> record(logits_record_values(3));
    encode_log_probs(logits, record);
    w.write_records(record);
    w.close();

    const std::vector<uint8_t> bytes = read_bytes(path);
    ASSERT_EQ(bytes.size(), 20u + 16u + 16u);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "_logits_");
    const std::vector<uint8_t> ints = {4, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0,
                                       0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0};
    EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 8, bytes.begin() + 36), ints);
    float scale = 0, min_log_prob = 0;
    std::memcpy(&scale, bytes.data() + 36, 4);
    std::memcpy(&min_log_prob, bytes.data() + 40, 4);
    EXPECT_FLOAT_EQ(scale, 1.0f / 65535.0f);
    const double lse = std::log(1.0 + std::exp(-1.0) + std::exp(-0.5));
    EXPECT_NEAR(min_log_prob, -1.0 - lse, 1e-6);
    const auto code = [&](size_t i) { return static_cast<unsigned>(bytes[44 + 2 * i] | (bytes[45 + 2 * i] << 8)); };
    EXPECT_EQ(code(0), 0u);
    EXPECT_EQ(code(1), 65535u);
    EXPECT_EQ(code(2), 32768u);  // 0.5 * 65535 = 32767.5 rounds half to even
    EXPECT_EQ(code(3), 0u);      // padding

    LogitsFileReader r(path);
    EXPECT_EQ(r.header().n_ctx, 4);
    EXPECT_EQ(r.header().n_vocab, 3);
    EXPECT_EQ(r.header().n_chunk, 1);
    EXPECT_EQ(r.tokens(), tokens);
    std::vector<uint16_t> back(record.size());
    r.read_chunk(0, back);
    EXPECT_EQ(back, record);
}

TEST(KldFile, ReaderRejectsDamagedFiles) {
    TempDir dir;
    const std::string good = dir.file("good.kld");
    write_file(good, {8, 5, 2});
    EXPECT_EQ(reader_error(good), "");
    const std::vector<uint8_t> bytes = read_bytes(good);

    const std::string bad = dir.file("bad.kld");
    write_bytes(bad, std::vector<uint8_t>(bytes.begin(), bytes.end() - 1));
    EXPECT_NE(reader_error(bad).find("truncated"), std::string::npos) << reader_error(bad);
    EXPECT_NE(reader_error(bad).find(std::to_string(bytes.size())), std::string::npos) << reader_error(bad);

    std::vector<uint8_t> longer = bytes;
    longer.push_back(0);
    write_bytes(bad, longer);
    EXPECT_NE(reader_error(bad).find("corrupt"), std::string::npos) << reader_error(bad);

    write_bytes(bad, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 10));
    EXPECT_NE(reader_error(bad).find("too short"), std::string::npos) << reader_error(bad);

    std::vector<uint8_t> magic = bytes;
    magic[0] = 'X';
    write_bytes(bad, magic);
    EXPECT_NE(reader_error(bad).find("not a logits file"), std::string::npos) << reader_error(bad);

    std::vector<uint8_t> ctx = bytes;
    const int32_t zero = 0, huge = 1 << 30, negative = -3;
    std::memcpy(ctx.data() + 8, &zero, 4);
    write_bytes(bad, ctx);
    EXPECT_NE(reader_error(bad).find("context size 0"), std::string::npos) << reader_error(bad);
    std::memcpy(ctx.data() + 8, &huge, 4);
    write_bytes(bad, ctx);
    EXPECT_NE(reader_error(bad).find("not plausible"), std::string::npos) << reader_error(bad);

    std::vector<uint8_t> vocab = bytes;
    std::memcpy(vocab.data() + 12, &negative, 4);
    write_bytes(bad, vocab);
    EXPECT_NE(reader_error(bad).find("vocabulary size -3"), std::string::npos) << reader_error(bad);

    std::vector<uint8_t> chunks = bytes;
    std::memcpy(chunks.data() + 16, &huge, 4);  // claims far more data than there is
    write_bytes(bad, chunks);
    EXPECT_NE(reader_error(bad).find("truncated"), std::string::npos) << reader_error(bad);

    std::vector<uint8_t> token = bytes;
    const int32_t out_of_range = 5;
    std::memcpy(token.data() + 20 + 4 * 3, &out_of_range, 4);
    write_bytes(bad, token);
    EXPECT_NE(reader_error(bad).find("token 5 at position 3"), std::string::npos) << reader_error(bad);

    EXPECT_NE(reader_error(dir.file("missing.kld")).find("cannot open"), std::string::npos);
}

TEST(KldFile, WriterRemovesIncompleteFiles) {
    TempDir dir;
    const std::string path = dir.file("partial.kld");
    {
        LogitsFileWriter w(path, {8, 5, 2}, std::vector<int32_t>(16, 1));
        std::vector<uint16_t> record(logits_record_values(5));
        w.write_records(record);
        EXPECT_THROW(w.close(), Error);
    }
    EXPECT_FALSE(fs::exists(path));
    {
        LogitsFileWriter w(path, {8, 5, 2}, std::vector<int32_t>(16, 1));
        // destroyed without close(), as when the run fails midway
    }
    EXPECT_FALSE(fs::exists(path));
    LogitsFileWriter w(path, {8, 5, 1}, std::vector<int32_t>(8, 1));
    EXPECT_THROW(w.write_records(std::vector<uint16_t>(7)), Error);                            // not whole records
    EXPECT_THROW(w.write_records(std::vector<uint16_t>(logits_record_values(5) * 4)), Error);  // 3 expected
}

}  // namespace
}  // namespace bitnet
