#pragma once
// Any ternary tensor (I2_S, TQ1_0, TQ2_0, IQ2_BN, IQ1_BN) as values and the scales of its groups:
// one per tensor (I2_S), per 256-value block (TQ types) or per row (IQ types). `bitnet quantize`
// re-encodes between them through this form, which changes no value.
#include <cstdint>
#include <string>
#include <vector>

#include "quant/types.hpp"

namespace bitnet {

struct TernaryGroups {
    std::vector<int8_t> values;  // rows * cols
    std::vector<float> scales;   // one per group of `group` consecutive values
    int64_t group = 0;
};

// Elements per scale of a ternary type for rows of `cols` values in a tensor of n values.
int64_t ternary_group(GgmlType type, int64_t cols, int64_t n);

TernaryGroups decode_ternary(GgmlType type, const uint8_t* data, int64_t cols, int64_t rows, const std::string& name);

// Writes tensor_bytes(type, {cols, rows}) bytes. Every target group takes the common scale of the
// non-zero source groups it covers; when they differ (e.g. TQ2_0 blocks of different scales into
// one I2_S tensor) the re-encoding would change values, and an Error names the tensor.
void encode_ternary(GgmlType type, const TernaryGroups& t, int64_t cols, int64_t rows, uint8_t* dst,
                    const std::string& name);

}  // namespace bitnet
