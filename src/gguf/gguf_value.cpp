#include "gguf/gguf_value.hpp"

#include <cstring>

#include "core/error.hpp"

namespace bitnet {

const char* gguf_type_name(GgufType type) {
    switch (type) {
        case GgufType::UINT8: return "uint8";
        case GgufType::INT8: return "int8";
        case GgufType::UINT16: return "uint16";
        case GgufType::INT16: return "int16";
        case GgufType::UINT32: return "uint32";
        case GgufType::INT32: return "int32";
        case GgufType::FLOAT32: return "float32";
        case GgufType::BOOL: return "bool";
        case GgufType::STRING: return "string";
        case GgufType::ARRAY: return "array";
        case GgufType::UINT64: return "uint64";
        case GgufType::INT64: return "int64";
        case GgufType::FLOAT64: return "float64";
    }
    return "unknown";
}

bool gguf_type_valid(uint32_t id) { return id <= static_cast<uint32_t>(GgufType::FLOAT64); }

size_t gguf_scalar_size(GgufType type) {
    switch (type) {
        case GgufType::UINT8:
        case GgufType::INT8:
        case GgufType::BOOL: return 1;
        case GgufType::UINT16:
        case GgufType::INT16: return 2;
        case GgufType::UINT32:
        case GgufType::INT32:
        case GgufType::FLOAT32: return 4;
        case GgufType::UINT64:
        case GgufType::INT64:
        case GgufType::FLOAT64: return 8;
        case GgufType::STRING:
        case GgufType::ARRAY: return 0;
    }
    return 0;
}

bool gguf_type_is_integer(GgufType type) {
    switch (type) {
        case GgufType::UINT8:
        case GgufType::INT8:
        case GgufType::UINT16:
        case GgufType::INT16:
        case GgufType::UINT32:
        case GgufType::INT32:
        case GgufType::UINT64:
        case GgufType::INT64: return true;
        default: return false;
    }
}

template <class T>
static T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

int64_t GgufValue::int_at(uint64_t idx) const {
    if (type != GgufType::ARRAY || raw == nullptr || idx >= count) fail("array index out of range");
    const uint8_t* p = raw + idx * gguf_scalar_size(elem_type);
    switch (elem_type) {
        case GgufType::UINT8: return load<uint8_t>(p);
        case GgufType::INT8: return load<int8_t>(p);
        case GgufType::UINT16: return load<uint16_t>(p);
        case GgufType::INT16: return load<int16_t>(p);
        case GgufType::UINT32: return load<uint32_t>(p);
        case GgufType::INT32: return load<int32_t>(p);
        case GgufType::UINT64: return static_cast<int64_t>(load<uint64_t>(p));
        case GgufType::INT64: return load<int64_t>(p);
        case GgufType::BOOL: return load<uint8_t>(p);
        case GgufType::FLOAT32: return static_cast<int64_t>(load<float>(p));
        case GgufType::FLOAT64: return static_cast<int64_t>(load<double>(p));
        default: fail("not a numeric array");
    }
}

double GgufValue::float_at(uint64_t idx) const {
    if (type != GgufType::ARRAY || raw == nullptr || idx >= count) fail("array index out of range");
    const uint8_t* p = raw + idx * gguf_scalar_size(elem_type);
    if (elem_type == GgufType::FLOAT32) return load<float>(p);
    if (elem_type == GgufType::FLOAT64) return load<double>(p);
    return static_cast<double>(int_at(idx));
}

static std::string quote(std::string_view s, size_t max_len = 60) {
    std::string out = "\"";
    size_t n = 0;
    for (unsigned char c : s) {
        if (n++ >= max_len) {
            out += "...";
            break;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            out += strprintf("\\x%02x", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

static std::string scalar_to_string(const GgufValue& v) {
    switch (v.type) {
        case GgufType::UINT8:
        case GgufType::UINT16:
        case GgufType::UINT32:
        case GgufType::UINT64: return std::to_string(v.u);
        case GgufType::INT8:
        case GgufType::INT16:
        case GgufType::INT32:
        case GgufType::INT64: return std::to_string(v.i);
        case GgufType::FLOAT32:
        case GgufType::FLOAT64: return strprintf("%g", v.f);
        case GgufType::BOOL: return v.b ? "true" : "false";
        case GgufType::STRING: return quote(v.str);
        case GgufType::ARRAY: break;
    }
    return "?";
}

std::string gguf_value_to_string(const GgufValue& v, size_t max_items) {
    if (v.type != GgufType::ARRAY) return scalar_to_string(v);
    std::string out = strprintf("[%s x %llu] [", gguf_type_name(v.elem_type), static_cast<unsigned long long>(v.count));
    const uint64_t shown = std::min<uint64_t>(v.count, max_items);
    for (uint64_t k = 0; k < shown; ++k) {
        if (k) out += ", ";
        if (v.elem_type == GgufType::STRING) {
            out += quote(v.strings[k], 40);
        } else if (v.elem_type == GgufType::ARRAY) {
            out += gguf_value_to_string(v.items[k], max_items);
        } else if (v.elem_type == GgufType::FLOAT32 || v.elem_type == GgufType::FLOAT64) {
            out += strprintf("%g", v.float_at(k));
        } else if (v.elem_type == GgufType::BOOL) {
            out += v.int_at(k) ? "true" : "false";
        } else if (v.elem_type == GgufType::UINT64) {
            out += std::to_string(static_cast<uint64_t>(v.int_at(k)));
        } else {
            out += std::to_string(v.int_at(k));
        }
    }
    if (shown < v.count) out += ", ...";
    return out + "]";
}

}  // namespace bitnet
