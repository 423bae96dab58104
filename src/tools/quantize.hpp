#pragma once
// `bitnet quantize`: re-encodes a model's ternary matrices into another ternary type (I2_S, TQ1_0,
// TQ2_0, IQ2_BN, IQ1_BN) without changing a single ternary value, and optionally requantizes the
// LM head (reporting its error). Everything else is copied byte for byte.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "quant/types.hpp"

namespace bitnet {

struct QuantizeOptions {
    std::string input, output;
    GgmlType type = GgmlType::I2_S;
    std::optional<GgmlType> head_type;
    bool progress = true;
};

struct HeadReport {
    std::string name;
    GgmlType from = GgmlType::F16, to = GgmlType::F16;
    double rmse = 0.0, max_error = 0.0;
};

struct QuantizeResult {
    size_t n_reencoded = 0, n_copied = 0;
    size_t input_bytes = 0, output_bytes = 0;
    // Largest relative change of a ternary scale (0 when every scale is kept exactly; f16-scale
    // targets round an f32 scale).
    double max_scale_change = 0.0;
    std::vector<HeadReport> head;
};

QuantizeResult quantize_model(const QuantizeOptions& options);

}  // namespace bitnet
