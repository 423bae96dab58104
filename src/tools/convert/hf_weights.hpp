#pragma once
// Reading the tensors of a Hugging Face ternary checkpoint as logical values
// (shared/docs/hf-ternary-checkpoints.md §0):
//   packed projections: `<p>.weight` U8 [out/4, in], byte [r, c] holding rows r, r+R, r+2R, r+3R
//     (R = out/4) in bits 1:0, 3:2, 5:4, 7:6 as value + 1, and `<p>.weight_scale` (one value) that
//     multiplies (AutoBitLinear) or divides (BitLinear) the product;
//   master weights (F32/F16/BF16): absmean ternarization per tensor in fp32;
//   everything else (embeddings, head, norms): floats converted to f32.
// Every shape is checked against the one config.json implies.
#include <cstdint>
#include <string>
#include <vector>

#include "quant/ternary.hpp"

namespace bitnet {

class Checkpoint;
struct StTensor;

// Checks the projection's tensors (dtypes, shapes, the scale) without reading the weights.
void check_ternary_projection(const Checkpoint& ck, const std::string& prefix, int64_t rows, int64_t cols);
// The projection `prefix` ("model.layers.0.self_attn.q_proj") as ternary values [rows][cols] and
// the scale alpha (weight = alpha * value).
TernaryTensor read_ternary_projection(const Checkpoint& ck, const std::string& prefix, int64_t rows, int64_t cols,
                                      bool scale_multiplies);

// Checks a float tensor's dtype (F32/F16/BF16) and shape.
void check_float_tensor(const StTensor& t, const std::vector<int64_t>& shape, const std::string& dir);
// Converts elements [begin, begin + n) of a checked float tensor to f32.
void float_elements(const StTensor& t, int64_t begin, int64_t n, float* out);

}  // namespace bitnet
