#pragma once
// GGUF v3 writer. Metadata is encoded as it is set; tensor data is produced one tensor at a time
// by a callback while writing, so multi-gigabyte models never sit in memory at once.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_value.hpp"
#include "quant/types.hpp"

namespace bitnet {

class GgufWriter {
public:
    using FillFn = std::function<void(uint8_t* dst, size_t nbytes)>;
    // Called after each tensor is written with (tensors done, tensors total).
    using ProgressFn = std::function<void(size_t, size_t)>;

    // Setting an existing key replaces its value and keeps its position.
    void set_u32(std::string_view key, uint32_t v);
    void set_i32(std::string_view key, int32_t v);
    void set_u64(std::string_view key, uint64_t v);
    void set_f32(std::string_view key, float v);
    void set_bool(std::string_view key, bool v);
    void set_string(std::string_view key, std::string_view v);
    void set_string_array(std::string_view key, const std::vector<std::string>& v);
    void set_f32_array(std::string_view key, const std::vector<float>& v);
    void set_i32_array(std::string_view key, const std::vector<int32_t>& v);
    // Any value read from another file (used to carry metadata over in conversions).
    void set_value(std::string_view key, const GgufValue& v);
    // Raw encoded value bytes of the given type (tests use this for exotic encodings).
    void set_raw(std::string_view key, GgufType type, std::vector<uint8_t> encoded);
    void remove(std::string_view key);
    void set_alignment(uint32_t alignment);

    // `fill` must write exactly tensor_bytes(type, ne) bytes.
    void add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne, FillFn fill);
    void add_tensor_copy(std::string name, GgmlType type, std::vector<int64_t> ne, const void* data);

    // Writes the file atomically (to PATH.tmp, then renamed). Throws Error on I/O failure.
    void write(const std::string& path, const ProgressFn& progress = {}) const;
    // The complete file image in memory (tests, fuzz seeds).
    std::vector<uint8_t> to_bytes() const;

    size_t n_tensors() const { return tensors_.size(); }

private:
    struct Kv {
        std::string key;
        GgufType type;
        std::vector<uint8_t> encoded;
    };
    struct Tensor {
        std::string name;
        GgmlType type;
        std::vector<int64_t> ne;
        size_t nbytes;
        FillFn fill;
    };
    void put(std::string_view key, GgufType type, std::vector<uint8_t> encoded);
    std::vector<uint8_t> header_bytes() const;
    template <class Sink>
    void emit(Sink& sink, const ProgressFn& progress) const;

    std::vector<Kv> kvs_;
    std::vector<Tensor> tensors_;
    uint32_t alignment_ = 32;
};

}  // namespace bitnet
