#pragma once
// The trainable tensors of a bitnet-b1.58 model in one flat float array, named as in the GGUF.
// The same layout indexes the master weights, their gradients, the Adam moments and the
// quantized weights of a step, so each of those is one vector and the optimizer one loop.
#include <cstdint>
#include <string>
#include <vector>

#include "train/shape.hpp"

namespace bitnet {

struct ParamTensor {
    std::string name;    // GGUF tensor name
    size_t offset = 0;   // in floats
    int64_t rows = 1;    // output features (torch order [rows, cols]); 1 for vectors
    int64_t cols = 0;    // input features
    bool ternary = false;  // a BitLinear weight (quantized in QAT and in the GGUF)
    bool decay = false;    // AdamW weight decay applies (matrices, not norms)
    size_t size() const { return static_cast<size_t>(rows * cols); }
};

// Indices into ParamLayout::tensors of one layer's tensors.
struct LayerIndex {
    size_t attn_norm, wq, wk, wv, attn_sub_norm, wo, ffn_norm, w_gate, w_up, ffn_sub_norm, w_down;
};

struct ParamLayout {
    explicit ParamLayout(const TrainShape& shape);
    TrainShape shape;
    std::vector<ParamTensor> tensors;
    size_t token_embd = 0, output_norm = 0;
    std::vector<LayerIndex> layers;
    size_t n_floats = 0;

    const ParamTensor& operator[](size_t i) const { return tensors[i]; }
    size_t count_ternary() const;
};

// Pointers to one layer's tensors inside a flat array laid out by ParamLayout.
template <class T>
struct LayerRefs {
    T *attn_norm, *wq, *wk, *wv, *attn_sub_norm, *wo, *ffn_norm, *w_gate, *w_up, *ffn_sub_norm, *w_down;
};

template <class T>
LayerRefs<T> layer_refs(const ParamLayout& l, T* base, int64_t il) {
    const LayerIndex& x = l.layers[static_cast<size_t>(il)];
    auto at = [&](size_t i) { return base + l.tensors[i].offset; };
    return {at(x.attn_norm), at(x.wq),     at(x.wk),   at(x.wv),           at(x.attn_sub_norm), at(x.wo),
            at(x.ffn_norm),  at(x.w_gate), at(x.w_up), at(x.ffn_sub_norm), at(x.w_down)};
}

// Initial weights: norms 1, embedding N(0, 0.02²), matrices N(0, 0.02²) with the two projections
// that write into the residual stream scaled by 1/sqrt(2·layers) (GPT-2's rule), from `seed`.
std::vector<float> init_params(const ParamLayout& layout, uint64_t seed);

}  // namespace bitnet
