#pragma once
// The Architecture objects defined in src/model/arch/*.cpp, for the registry, and the parts one
// architecture file shares with another.
#include "model/arch/arch.hpp"

namespace bitnet::arch {

// The Llama decoder's tensors (ternary_llama.cpp): the two norms and the seven projections every
// architecture here has; BitNet adds its sub-norms on top.
void bind_llama_layer(WeightBinder& w, const ModelConfig& c, int64_t il, LayerWeights& L);

// The BitNet layer and its tensor names (bitnet_b158.cpp), also used by the 2024 `bitnet`.
void bind_bitnet_layer(WeightBinder& w, const ModelConfig& c, int64_t il, LayerWeights& L);
void bitnet_layer(Forward& f, const LayerWeights& L, int64_t il);

extern const Architecture bitnet_b158;  // bitnet_b158.cpp: BitNet-b1.58-2B-4T
extern const Architecture bitnet_25;    // bitnet_b158.cpp: the same, under bitnet.cpp's older name
extern const Architecture bitnet;       // bitnet.cpp: the 2024 1bitLLM models (SiLU FFN)
extern const Architecture ternary_llama;  // ternary_llama.cpp: Llama3-8B-1.58, Falcon3 1.58-bit

}  // namespace bitnet::arch
