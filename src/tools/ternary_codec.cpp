#include "tools/ternary_codec.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "quant/iq_bn.hpp"
#include "quant/ternary.hpp"

namespace bitnet {

namespace {

bool all_zero(const int8_t* v, int64_t n) {
    return std::all_of(v, v + n, [](int8_t x) { return x == 0; });
}

// Scale of target group [begin, begin + len): the one scale its non-zero source groups share.
float common_scale(const TernaryGroups& t, int64_t begin, int64_t len, const std::string& name, GgmlType type) {
    float s = 0.0f;
    bool have = false;
    for (int64_t g = begin / t.group; g * t.group < begin + len; ++g) {
        const int64_t b = std::max(begin, g * t.group), e = std::min(begin + len, (g + 1) * t.group);
        if (all_zero(t.values.data() + b, e - b)) continue;
        const float d = t.scales[static_cast<size_t>(g)];
        if (have && d != s) {
            fail(strprintf("tensor '%s': its scales differ within one %s scale group (%g and %g); re-encoding would "
                           "change weights (choose a type with finer scales)",
                           name.c_str(), type_name(type), s, d));
        }
        s = d;
        have = true;
    }
    return s;
}

}  // namespace

int64_t ternary_group(GgmlType type, int64_t cols, int64_t n) {
    switch (type) {
        case GgmlType::I2_S: return n;
        case GgmlType::TQ1_0:
        case GgmlType::TQ2_0: return 256;
        case GgmlType::IQ2_BN:
        case GgmlType::IQ1_BN: return cols;
        default: fail(strprintf("type %s is not a ternary type", type_name(type)));
    }
}

TernaryGroups decode_ternary(GgmlType type, const uint8_t* data, int64_t cols, int64_t rows, const std::string& name) {
    const int64_t n = cols * rows;
    TernaryGroups t;
    t.group = ternary_group(type, cols, n);
    t.values.resize(static_cast<size_t>(n));
    t.scales.resize(static_cast<size_t>(n / t.group));
    const size_t stride = row_bytes(type, cols);
    switch (type) {
        case GgmlType::I2_S:
            for (int64_t i = 0; i < n; ++i) t.values[static_cast<size_t>(i)] = i2s_value(data, i);
            t.scales[0] = i2s_scale(data, n);
            break;
        case GgmlType::TQ2_0: unpack_tq2_0(data, n, t.values.data(), t.scales.data()); break;
        case GgmlType::TQ1_0: unpack_tq1_0(data, n, t.values.data(), t.scales.data()); break;
        case GgmlType::IQ2_BN:
            for (int64_t r = 0; r < rows; ++r) {
                if (!unpack_iq2_bn_row(data + r * stride, cols, t.values.data() + r * cols, &t.scales[static_cast<size_t>(r)])) {
                    fail(strprintf("tensor '%s': invalid IQ2_BN code 3 in row %lld", name.c_str(), static_cast<long long>(r)));
                }
            }
            break;
        case GgmlType::IQ1_BN:
            for (int64_t r = 0; r < rows; ++r) {
                unpack_iq1_bn_row(data + r * stride, cols, t.values.data() + r * cols, &t.scales[static_cast<size_t>(r)]);
            }
            break;
        default: fail(strprintf("tensor '%s': type %s is not a ternary type", name.c_str(), type_name(type)));
    }
    return t;
}

void encode_ternary(GgmlType type, const TernaryGroups& t, int64_t cols, int64_t rows, uint8_t* dst,
                    const std::string& name) {
    const int64_t n = cols * rows, group = ternary_group(type, cols, n);
    const size_t stride = row_bytes(type, cols);
    const size_t block_bytes = type_traits(type).block_bytes;
    for (int64_t g = 0; g < n / group; ++g) {
        const float s = common_scale(t, g * group, group, name, type);
        const int8_t* v = t.values.data() + g * group;
        switch (type) {
            case GgmlType::I2_S: pack_i2s(v, n, s, dst); break;
            case GgmlType::TQ2_0: pack_tq2_0(v, group, s, dst + static_cast<size_t>(g) * block_bytes); break;
            case GgmlType::TQ1_0: pack_tq1_0(v, group, s, dst + static_cast<size_t>(g) * block_bytes); break;
            case GgmlType::IQ2_BN: pack_iq2_bn_row(v, cols, s, dst + static_cast<size_t>(g) * stride); break;
            case GgmlType::IQ1_BN: pack_iq1_bn_row(v, cols, s, dst + static_cast<size_t>(g) * stride); break;
            default: fail(strprintf("type %s is not a ternary type", type_name(type)));
        }
    }
}

}  // namespace bitnet
