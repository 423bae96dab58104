#pragma once
// GGUF metadata values as read from a file: the 13 value types, scalars, strings and (nested)
// arrays. Strings and numeric arrays point into the file's memory map (zero copy).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bitnet {

enum class GgufType : uint32_t {
    UINT8 = 0,
    INT8 = 1,
    UINT16 = 2,
    INT16 = 3,
    UINT32 = 4,
    INT32 = 5,
    FLOAT32 = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    UINT64 = 10,
    INT64 = 11,
    FLOAT64 = 12,
};

const char* gguf_type_name(GgufType type);
bool gguf_type_valid(uint32_t id);
// Encoded size of one scalar of this type (0 for STRING and ARRAY, whose size varies).
size_t gguf_scalar_size(GgufType type);
bool gguf_type_is_integer(GgufType type);

struct GgufValue {
    GgufType type = GgufType::UINT8;

    // Scalars, widened: integers in `u` (unsigned types) or `i` (signed), floats in `f`.
    uint64_t u = 0;
    int64_t i = 0;
    double f = 0.0;
    bool b = false;
    std::string_view str;  // STRING

    // ARRAY
    GgufType elem_type = GgufType::UINT8;
    uint64_t count = 0;
    const uint8_t* raw = nullptr;           // numeric/bool arrays: count * scalar size bytes, LE
    std::vector<std::string_view> strings;  // arrays of strings
    std::vector<GgufValue> items;           // arrays of arrays

    // Element `idx` of a numeric array, widened.
    int64_t int_at(uint64_t idx) const;
    double float_at(uint64_t idx) const;
};

// Human-readable rendering for `inspect` (arrays abbreviated to their first `max_items`).
std::string gguf_value_to_string(const GgufValue& v, size_t max_items = 8);

}  // namespace bitnet
