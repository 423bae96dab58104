#include "quant/types.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "core/error.hpp"
#include "quant/codecs.hpp"
#include "quant/ternary.hpp"

namespace bitnet {

namespace {

const TypeTraits kTypes[] = {
    {GgmlType::F32, "f32", 1, 4, false, dequantize_row_f32, quantize_row_f32},
    {GgmlType::F16, "f16", 1, 2, false, dequantize_row_f16, quantize_row_f16},
    {GgmlType::BF16, "bf16", 1, 2, false, dequantize_row_bf16, quantize_row_bf16},
    {GgmlType::Q8_0, "q8_0", 32, 34, false, dequantize_row_q8_0, quantize_row_q8_0},
    {GgmlType::Q6_K, "q6_k", 256, 210, false, dequantize_row_q6_k, quantize_row_q6_k},
    {GgmlType::TQ1_0, "tq1_0", 256, 54, true, dequantize_row_tq1_0, quantize_row_tq1_0},
    {GgmlType::TQ2_0, "tq2_0", 256, 66, true, dequantize_row_tq2_0, quantize_row_tq2_0},
    {GgmlType::I2_S, "i2_s", 128, 32, true, nullptr, nullptr},
};

}  // namespace

const TypeTraits* find_type(uint32_t id) {
    for (const TypeTraits& t : kTypes) {
        if (static_cast<uint32_t>(t.type) == id) return &t;
    }
    return nullptr;
}

const TypeTraits& type_traits(GgmlType type) {
    const TypeTraits* t = find_type(static_cast<uint32_t>(type));
    if (t == nullptr) fail(strprintf("unknown tensor type id %u", static_cast<unsigned>(type)));
    return *t;
}

std::optional<GgmlType> parse_type_name(const std::string& name) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const TypeTraits& t : kTypes) {
        if (lower == t.name) return t.type;
    }
    return std::nullopt;
}

const char* type_name(GgmlType type) {
    const TypeTraits* t = find_type(static_cast<uint32_t>(type));
    return t ? t->name : "unknown";
}

std::string known_type_names() {
    std::string out;
    for (const TypeTraits& t : kTypes) {
        if (!out.empty()) out += ", ";
        out += strprintf("%s (%u)", t.name, static_cast<unsigned>(t.type));
    }
    return out;
}

uint32_t llama_file_type(GgmlType type) {
    switch (type) {
        case GgmlType::F32: return 0;
        case GgmlType::F16: return 1;
        case GgmlType::TQ1_0: return 36;
        case GgmlType::TQ2_0: return 37;
        case GgmlType::I2_S: return 40;
        default: return 0;
    }
}

size_t row_bytes(GgmlType type, int64_t ne0) {
    const TypeTraits& t = type_traits(type);
    return static_cast<size_t>(ne0 / t.block_size) * t.block_bytes;
}

std::optional<size_t> tensor_bytes(GgmlType type, std::span<const int64_t> ne) {
    const TypeTraits* t = find_type(static_cast<uint32_t>(type));
    if (t == nullptr || ne.empty() || ne[0] <= 0 || ne[0] % t->block_size != 0) return std::nullopt;
    uint64_t elements = 1;
    for (int64_t d : ne) {
        if (d <= 0 || __builtin_mul_overflow(elements, static_cast<uint64_t>(d), &elements)) return std::nullopt;
    }
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(elements / static_cast<uint64_t>(t->block_size), t->block_bytes, &bytes))
        return std::nullopt;
    if (type == GgmlType::I2_S) bytes += 32;  // f32 scale + 28 bytes padding after the codes
    if (bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<size_t>(bytes);
}

void dequantize_rows(GgmlType type, const void* data, int64_t ne0, int64_t n_elements, int64_t row_begin,
                     int64_t n_rows, float* dst) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    const size_t stride = row_bytes(type, ne0);
    if (type == GgmlType::I2_S) {
        const float scale = i2s_scale(bytes, n_elements);
        for (int64_t r = 0; r < n_rows; ++r) {
            dequantize_row_i2s(bytes + static_cast<size_t>(row_begin + r) * stride, dst + r * ne0, ne0, scale);
        }
        return;
    }
    const TypeTraits& t = type_traits(type);
    for (int64_t r = 0; r < n_rows; ++r) {
        t.dequantize_row(bytes + static_cast<size_t>(row_begin + r) * stride, dst + r * ne0, ne0);
    }
}

}  // namespace bitnet
