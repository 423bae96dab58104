// The safetensors reader on well-formed and hostile files: each defect is a specific error.
#include <gtest/gtest.h>

#include "tools/convert/st_test_util.hpp"
#include "core/error.hpp"
#include "tools/convert/checkpoint.hpp"
#include "tools/convert/safetensors.hpp"

using namespace bitnet;
using namespace bitnet::test;

namespace {

std::vector<StEntry> two_tensors() {
    return {{"a.weight", "F32", {2, 3}, f32_bytes({1, 2, 3, 4, 5, 6})}, {"b.weight", "U8", {4}, {1, 2, 3, 4}}};
}

void expect_error(const std::vector<uint8_t>& b, const std::string& needle) {
    try {
        SafetensorsFile::parse(b.data(), b.size(), "x.safetensors");
        FAIL() << "no error; expected one containing: " << needle;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

// The header JSON of a file, to edit; rebuilt with replace_header.
std::string header_of(const std::vector<uint8_t>& b) {
    uint64_t n;
    std::memcpy(&n, b.data(), 8);
    return std::string(b.begin() + 8, b.begin() + 8 + static_cast<long>(n));
}
std::vector<uint8_t> replace_header(const std::vector<uint8_t>& b, std::string h) {
    const std::string old = header_of(b);
    while (h.size() % 8 != 0) h += ' ';
    return with_header(h, std::string(b.begin() + 8 + static_cast<long>(old.size()), b.end()));
}
std::vector<uint8_t> edit(const std::vector<uint8_t>& b, const std::string& from, const std::string& to) {
    std::string h = header_of(b);
    const size_t at = h.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    h.replace(at, from.size(), to);
    while (!h.empty() && h.back() == ' ') h.pop_back();
    return replace_header(b, h);
}

}  // namespace

TEST(Safetensors, ReadsTensors) {
    const auto b = safetensors_bytes(two_tensors());
    const auto ts = SafetensorsFile::parse(b.data(), b.size(), "x");
    ASSERT_EQ(ts.size(), 2u);
    EXPECT_EQ(ts[0].name, "a.weight");
    EXPECT_EQ(ts[0].dtype, StDtype::F32);
    EXPECT_EQ(ts[0].shape, (std::vector<int64_t>{2, 3}));
    float v[6];
    std::memcpy(v, ts[0].data, 24);
    EXPECT_EQ(v[5], 6.0f);
    EXPECT_EQ(ts[1].dtype, StDtype::U8);
    EXPECT_EQ(ts[1].data[3], 4);
}

TEST(Safetensors, TruncatedFile) {
    const auto full = safetensors_bytes(two_tensors());
    // Every cut is an error: inside the length, the header, or the data.
    for (size_t cut = 0; cut < full.size(); ++cut) {
        const std::vector<uint8_t> b(full.begin(), full.begin() + static_cast<long>(cut));
        EXPECT_THROW(SafetensorsFile::parse(b.data(), b.size(), "x"), Error) << cut;
    }
    expect_error(std::vector<uint8_t>(full.begin(), full.end() - 1), "past the end of the data buffer");
    expect_error({1, 2, 3}, "shorter than the 8-byte header length");
}

TEST(Safetensors, HeaderLengthPastEnd) {
    auto b = safetensors_bytes(two_tensors());
    const uint64_t n = b.size();
    std::memcpy(b.data(), &n, 8);
    expect_error(b, "header length " + std::to_string(n) + " runs past the end of the file");
    const uint64_t huge = 1ull << 62;
    std::memcpy(b.data(), &huge, 8);
    expect_error(b, "exceeds the 100 MB limit");
}

TEST(Safetensors, OverlappingOffsets) {
    const auto b = safetensors_bytes(two_tensors());
    // b.weight claims bytes 20..24, inside a.weight (0..24); the buffer's last 4 bytes are then unused.
    expect_error(edit(b, "\"data_offsets\":[24,28]", "\"data_offsets\":[20,24]"), "'a.weight' and 'b.weight' overlap");
}

TEST(Safetensors, HoleInBuffer) {
    auto e = two_tensors();
    auto b = safetensors_bytes(e);
    b.insert(b.end(), {0, 0, 0, 0});
    expect_error(b, "the data buffer has 32 bytes but its tensors cover 28");
    b = safetensors_bytes(e);
    b.insert(b.end(), {0, 0, 0, 0});
    expect_error(edit(b, "\"data_offsets\":[24,28]", "\"data_offsets\":[28,32]"), "hole in the data buffer: bytes 24..28");
}

TEST(Safetensors, SizeDisagreesWithShape) {
    const auto b = safetensors_bytes(two_tensors());
    expect_error(edit(b, "\"shape\":[2,3]", "\"shape\":[2,2]"), "holds 24 bytes but dtype F32 and shape [2, 2] need 16");
    expect_error(edit(b, "\"shape\":[2,3]", "\"shape\":[2,-3]"), "not a non-negative integer");
    expect_error(edit(b, "\"shape\":[2,3]", "\"shape\":[4294967296,4294967296,4294967296]"), "too large");
}

TEST(Safetensors, BadHeader) {
    const auto b = safetensors_bytes(two_tensors());
    expect_error(edit(b, "\"dtype\":\"U8\"", "\"dtype\":\"F4\""), "unsupported dtype 'F4'");
    expect_error(edit(b, "\"dtype\":\"U8\"", "\"dtyp\":\"U8\""), "missing \"dtype\"");
    expect_error(edit(b, "\"data_offsets\":[24,28]", "\"data_offsets\":[28,24]"), "end before they begin");
    expect_error(edit(b, "\"data_offsets\":[24,28]", "\"data_offsets\":[24]"), "invalid \"data_offsets\"");
    expect_error(edit(b, "}}", "}"), "not valid JSON");
    expect_error(replace_header(b, "[1,2]"), "not a JSON object");
}

TEST(Checkpoint, ShardsFollowTheIndex) {
    const auto d = temp_dir("shards");
    auto e = two_tensors();
    write_file(d / "first.safetensors", safetensors_bytes({e[0]}));
    write_file(d / "second.safetensors", safetensors_bytes({e[1]}));
    write_text(d / "model.safetensors.index.json",
               R"({"metadata":{"total_size":28},"weight_map":{"a.weight":"first.safetensors","b.weight":"second.safetensors"}})");
    const Checkpoint c(d.string());
    EXPECT_EQ(c.n_files(), 2u);
    EXPECT_EQ(c.get("b.weight").data[0], 1);
    EXPECT_EQ(c.find("c.weight"), nullptr);
    EXPECT_THROW(c.get("c.weight"), Error);

    write_text(d / "model.safetensors.index.json",
               R"({"weight_map":{"a.weight":"second.safetensors","b.weight":"second.safetensors"}})");
    try {
        Checkpoint bad(d.string());
        FAIL();
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("puts 'a.weight' in second.safetensors, which has no such tensor"),
                  std::string::npos)
            << err.what();
    }
    write_text(d / "model.safetensors.index.json", R"({"weight_map":{"a.weight":"../x.safetensors"}})");
    EXPECT_THROW(Checkpoint(d.string()), Error);
    std::filesystem::remove_all(d);
}

TEST(Checkpoint, MissingFiles) {
    const auto d = temp_dir("empty");
    try {
        Checkpoint c(d.string());
        FAIL();
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("no model.safetensors"), std::string::npos);
    }
    std::filesystem::remove_all(d);
}
