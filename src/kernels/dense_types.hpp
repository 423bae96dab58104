#pragma once
// Registry of the dense (LM head / token embedding) weight types the dense kernels multiply, in
// the manner of ggml's CPU type traits: each entry knows its GGUF type, the activation format its
// kernels take (f32 rows, or ggml's Q8_0 / Q8_K blocks), that format's bytes per row and the
// quantizer that produces it. The forward pass has no per-type code: it asks the entry.
//
// Adding a dense type: a DenseType value (kernels.hpp), an entry in dense_types.cpp, the scalar
// reference dot product in scalar_ops.cpp, and optionally ISA tiles (dense_*_avx512.cpp, ...);
// an ISA without tiles for the type runs the scalar reference.
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.hpp"
#include "quant/types.hpp"

namespace bitnet {

struct DenseTypeTraits {
    DenseType type;
    GgmlType ggml;     // the tensor type in GGUF
    const char* name;  // upper case, for reports: "Q6_K"
    // Activation rows the matmul takes: act_block values per block of act_block_bytes.
    int64_t act_block;
    size_t act_block_bytes;
    // Writes one token's activations (k floats) in that format.
    void (*prepare_acts)(const KernelTable& kernels, const float* x, int64_t k, void* out);

    size_t act_row_bytes(int64_t k) const { return static_cast<size_t>(k / act_block) * act_block_bytes; }
};

const DenseTypeTraits& dense_traits(DenseType type);
// nullptr where the GGUF type cannot serve as an embedding / LM head.
const DenseTypeTraits* find_dense_traits(GgmlType type);
// Throws Error naming the type when it cannot serve as an embedding / LM head.
DenseType dense_type_of(GgmlType type);

}  // namespace bitnet
