#pragma once
// Registry of the tensor types the engine reads and writes: ggml type ids, block geometry, byte
// sizes (including I2_S's per-tensor tail), and scalar reference (de)quantizers.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace bitnet {

// ggml type ids as stored in GGUF (I2_S is 36 in bitnet.cpp and ik_llama.cpp).
enum class GgmlType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
    Q6_K = 14,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    I2_S = 36,
};

struct TypeTraits {
    GgmlType type;
    const char* name;      // lower-case, as users type it: "f32", "i2_s", "q6_k"
    int64_t block_size;    // elements per block (I2_S: 128, its packing group)
    size_t block_bytes;    // bytes per block
    bool ternary;          // I2_S, TQ1_0, TQ2_0
    // Reference row dequantizer: n elements (a multiple of block_size) from one row. For I2_S the
    // per-tensor scale lives after the tensor, so callers use dequantize_rows() instead.
    void (*dequantize_row)(const void* src, float* dst, int64_t n);
    // Reference row quantizer (nullptr where the engine never writes the type row by row).
    // Ternary types: per-block amax scale, code = round(x / amax) + 1 (exact for inputs that are
    // already ternary, as after ternarize_absmean()).
    void (*quantize_row)(const float* src, void* dst, int64_t n);
};

// nullptr for an id the engine does not know.
const TypeTraits* find_type(uint32_t id);
const TypeTraits& type_traits(GgmlType type);
// Parses a user-facing name ("i2_s", "TQ2_0", "f16", ...); nullopt if unknown.
std::optional<GgmlType> parse_type_name(const std::string& name);
const char* type_name(GgmlType type);
// Comma-separated list of all known type names, for error messages.
std::string known_type_names();

// llama.cpp's general.file_type id of a "mostly <type>" file (0 for types it has no id for).
uint32_t llama_file_type(GgmlType type);

// Bytes of one row of ne0 elements (I2_S: ne0/4, without the tensor tail). ne0 must be a
// multiple of the block size.
size_t row_bytes(GgmlType type, int64_t ne0);
// Bytes of a whole tensor. I2_S: elements/4 + 32 (packed codes, f32 scale, 28 bytes padding).
// Returns nullopt if the size overflows or ne0 is not a multiple of the block size.
std::optional<size_t> tensor_bytes(GgmlType type, std::span<const int64_t> ne);

// Dequantizes rows [row_begin, row_begin + n_rows) of a 2-D view of a tensor whose rows have ne0
// elements; `data` is the start of the tensor (so I2_S can find its scale) and n_elements the
// tensor's total element count.
void dequantize_rows(GgmlType type, const void* data, int64_t ne0, int64_t n_elements, int64_t row_begin,
                     int64_t n_rows, float* dst);

}  // namespace bitnet
