#pragma once
// The LM head (tied token embedding or output.weight) as a dense kernel matrix, optionally
// requantized at load time (--head-type) so every generated token reads fewer bytes.
#include <vector>

#include "core/aligned_buffer.hpp"
#include "kernels/kernels.hpp"

namespace bitnet {

struct GgufTensor;
class GgufFile;
class ThreadPool;
struct WeightLoadOptions;

DenseMatrix load_dense_head(const GgufTensor& t, const GgufFile& file, const WeightLoadOptions& options, ThreadPool& pool,
                            std::vector<AlignedBuffer<uint8_t>>& owned, size_t& owned_bytes);

}  // namespace bitnet
