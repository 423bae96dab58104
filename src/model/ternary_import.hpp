#pragma once
// Turns a ternary weight tensor of any supported file type into a kernel-ready matrix:
// I2_S rows are the bits2 layout's own row format: copied unchanged to aligned huge-page memory
// (resident_copy.hpp), or with `in_place` used straight from the mapping when the tensor starts on
// a cache line. TQ2_0, TQ1_0 and float tensors are converted, and any of them can be repacked to
// the 1.6-bit base3 layout.
#include <string>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "kernels/layout.hpp"

namespace bitnet {

struct GgufTensor;
class ThreadPool;

struct TernaryImport {
    WeightLayout layout = WeightLayout::bits2;
    size_t row_stride = 0;
    AlignedBuffer<uint8_t> packed;   // empty: use the tensor's bytes in place
    std::vector<float> row_scale;    // one per row
    std::vector<float> block_scale;  // rows * cols/256 when blocks of a row have different scales
};

// `preferred` is honoured unless the tensor needs per-block scales (then bits2).
// Float tensors holding exactly {-a, 0, +a} keep a as their scale; other float tensors are
// ternarized with BitNet's absmean rule.
TernaryImport import_ternary(const GgufTensor& t, const std::string& file_name, WeightLayout preferred,
                             bool in_place, ThreadPool& pool);

// Decodes one bits2 (I2_S) row of k weights into values -1/0/+1.
void decode_bits2_row(const uint8_t* row, int64_t k, int8_t* values);

}  // namespace bitnet
