#pragma once
// One model architecture: what `general.architecture` names it, the hyper-parameter keys only it
// reads, its tensor names, and its layer function. The shared parts (common keys, embedding, LM
// head, the building blocks of a layer) live outside src/model/arch/.
//
// Adding an architecture: one file here defining an `Architecture` (see bitnet_b158.cpp), one line
// in registry.cpp, a way for `bitnet synth` to write it and the NumPy reference to run it.
#include <cstdint>
#include <string>
#include <string_view>

namespace bitnet {

class GgufFile;
class Forward;
class WeightBinder;
struct LayerWeights;
struct ModelConfig;

struct Architecture {
    const char* name;  // general.architecture
    // Reads this architecture's own keys and checks; the common `<arch>.*` keys are already in `c`.
    void (*configure)(const GgufFile& file, ModelConfig& c);
    // Binds the tensors of layer `il`.
    void (*bind_layer)(WeightBinder& w, const ModelConfig& c, int64_t il, LayerWeights& L);
    // One transformer layer over the batch held by `f`: the residual stream f.x() in, out.
    void (*layer)(Forward& f, const LayerWeights& L, int64_t il);
};

// nullptr for an unknown name.
const Architecture* find_architecture(std::string_view name);
// "bitnet-b1.58, bitnet-25, bitnet": the names find_architecture accepts, for messages.
std::string supported_architectures();

}  // namespace bitnet
