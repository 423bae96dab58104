#pragma once
// Builds safetensors images and checkpoint directories for the converter tests.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace bitnet::test {

struct StEntry {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};

// Length prefix + header + data (GCC 12 warns falsely about vector::insert here, hence strings).
inline std::vector<uint8_t> with_header(const std::string& header, const std::string& data) {
    std::string all(8, '\0');
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) all[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    all += header;
    all += data;
    return std::vector<uint8_t>(all.begin(), all.end());
}

// A well-formed file: entries laid out back to back in the given order, header padded to 8.
inline std::vector<uint8_t> safetensors_bytes(const std::vector<StEntry>& entries) {
    std::string h = "{\"__metadata__\":{\"format\":\"pt\"}";
    size_t at = 0;
    for (const StEntry& e : entries) {
        h += ",\"" + e.name + "\":{\"dtype\":\"" + e.dtype + "\",\"shape\":[";
        for (size_t i = 0; i < e.shape.size(); ++i) {
            if (i) h += ',';
            h += std::to_string(e.shape[i]);
        }
        h += "],\"data_offsets\":[" + std::to_string(at) + "," + std::to_string(at + e.bytes.size()) + "]}";
        at += e.bytes.size();
    }
    h += "}";
    while (h.size() % 8 != 0) h += ' ';
    std::string data;
    for (const StEntry& e : entries) data.append(e.bytes.begin(), e.bytes.end());
    return with_header(h, data);
}

inline std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
    std::vector<uint8_t> b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

inline void write_file(const std::filesystem::path& p, const std::vector<uint8_t>& b) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
inline void write_text(const std::filesystem::path& p, const std::string& s) { std::ofstream(p) << s; }

// A fresh empty directory under the system temp dir.
inline std::filesystem::path temp_dir(const std::string& name) {
    const auto d = std::filesystem::temp_directory_path() / ("bitnet_convert_test_" + name);
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

}  // namespace bitnet::test
