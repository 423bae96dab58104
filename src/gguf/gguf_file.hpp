#pragma once
// GGUF v3 reader: memory-maps a file, validates every structure strictly, and exposes typed
// metadata accessors and zero-copy tensor views. Tensors are looked up by name.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mapped_file.hpp"
#include "gguf/gguf_value.hpp"
#include "quant/types.hpp"

namespace bitnet {

class GgufCursor;

struct GgufTensor {
    std::string_view name;
    GgmlType type = GgmlType::F32;
    int n_dims = 0;
    int64_t ne[4] = {1, 1, 1, 1};  // ne[0] is the contiguous (row) dimension
    uint64_t offset = 0;           // relative to the data section
    size_t nbytes = 0;
    const uint8_t* data = nullptr;

    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
    std::string shape_string() const;  // "[2560, 128256]"
};

struct GgufKv {
    std::string_view key;
    GgufValue value;
};

class GgufFile {
public:
    // Maps and validates `path`; throws Error with a specific message on any defect.
    static GgufFile open(const std::string& path);
    // Parses an in-memory image (fuzzing, tests). The bytes must outlive the GgufFile.
    static GgufFile parse(const uint8_t* data, size_t size, std::string name = "<memory>");

    uint32_t version() const { return version_; }
    uint64_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }
    size_t file_size() const { return size_; }
    const std::string& path() const { return name_; }
    const uint8_t* bytes() const { return base_; }
    const MappedFile* mapping() const { return map_.get(); }

    const std::vector<GgufKv>& metadata() const { return kvs_; }
    const std::vector<GgufTensor>& tensors() const { return tensors_; }

    const GgufValue* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }
    // Typed accessors: throw Error naming the key when it is missing or has another type.
    // get_uint/get_int accept any integer type whose value fits.
    uint64_t get_uint(std::string_view key) const;
    int64_t get_int(std::string_view key) const;
    float get_f32(std::string_view key) const;  // FLOAT32 or FLOAT64
    bool get_bool(std::string_view key) const;
    std::string_view get_string(std::string_view key) const;
    const GgufValue& get_array(std::string_view key, GgufType elem_type) const;
    std::optional<uint64_t> opt_uint(std::string_view key) const;
    std::optional<float> opt_f32(std::string_view key) const;
    std::optional<bool> opt_bool(std::string_view key) const;
    std::optional<std::string_view> opt_string(std::string_view key) const;

    const GgufTensor* find_tensor(std::string_view name) const;
    const GgufTensor& tensor(std::string_view name) const;  // throws naming the tensor

private:
    GgufFile() = default;
    // Parsing, in file order: header, metadata, tensor infos, then the data section.
    void parse_all();
    std::pair<uint64_t, uint64_t> parse_header(GgufCursor& cur);  // {tensor count, metadata count}
    void parse_metadata(GgufCursor& cur, uint64_t n_kv);
    void parse_alignment();
    void parse_tensor_info(GgufCursor& cur, uint64_t t);
    void bind_data_section(uint64_t header_end);

    std::unique_ptr<MappedFile> map_;
    const uint8_t* base_ = nullptr;
    size_t size_ = 0;
    std::string name_;
    uint32_t version_ = 0;
    uint64_t alignment_ = 32;
    uint64_t data_offset_ = 0;
    std::vector<GgufKv> kvs_;
    std::vector<GgufTensor> tensors_;
    std::map<std::string_view, size_t, std::less<>> kv_index_;
    std::map<std::string_view, size_t, std::less<>> tensor_index_;
};

}  // namespace bitnet
