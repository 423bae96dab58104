#pragma once
// The model's weights, bound to the kernel views: ternary matrices in the engine's layouts (I2_S
// rows used in place from the memory map; other formats repacked at load), the LM head, and
// the f32 norm vectors.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "kernels/kernels.hpp"
#include "model/config.hpp"
#include "quant/types.hpp"

namespace bitnet {

class GgufFile;
struct GgufTensor;
class ThreadPool;

// The tensors of one transformer layer, as the architectures of src/model/arch/ bind them (an
// architecture without sub-norms leaves them null).
struct LayerWeights {
    const float* attn_norm = nullptr;
    const float* attn_sub_norm = nullptr;
    const float* ffn_norm = nullptr;
    const float* ffn_sub_norm = nullptr;
    TernaryMatrix wq, wk, wv, wo, w_gate, w_up, w_down;
};

// How ternary weights are held in memory.
enum class WeightRepack {
    automatic,  // I2_S and TQ2_0 as 2-bit rows, TQ1_0 as base-3 rows
    bits2,      // everything as 2-bit rows
    base3,      // everything as 1.6-bit base-3 rows
};

struct WeightLoadOptions {
    WeightRepack repack = WeightRepack::automatic;
    std::optional<GgmlType> head_type;  // requantize the LM head (f16, q8_0, q6_k)
    bool progress = false;              // progress bar on stderr for slow conversions
    // Stream the ternary matrices and the LM head in place from the file mapping where they are
    // cache-line aligned (faster start, page cache shared between processes) instead of copying
    // them to huge-page memory (faster decode; see model/resident_copy.hpp).
    bool use_mmap = false;
};

struct ModelWeights {
    // Token embedding rows (looked up per token) in their stored type.
    GgmlType embd_type = GgmlType::F32;
    const uint8_t* embd_data = nullptr;
    size_t embd_row_bytes = 0;
    int64_t n_vocab = 0;

    DenseMatrix output;          // LM head (tied to the embedding unless output.weight exists)
    GgmlType output_type = GgmlType::F32;
    const float* output_norm = nullptr;
    std::vector<LayerWeights> layers;

    WeightLayout ternary_layout = WeightLayout::bits2;  // layout of (most) ternary matrices
    std::array<bool, 2> layouts_used{};                 // by WeightLayout: activations to quantize for
    size_t owned_bytes = 0;                             // memory allocated beyond the file mapping

    // Storage for converted tensors; the views above point into it or into the file mapping.
    std::vector<AlignedBuffer<uint8_t>> owned;
    std::vector<std::vector<float>> owned_f32;
};

ModelWeights load_weights(const GgufFile& file, const ModelConfig& config, const WeightLoadOptions& options,
                          ThreadPool& pool);

}  // namespace bitnet
