// bitnet: the 2024 BitNet b1.58 reproductions (1bitLLM/bitnet_b1_58-large, -3B) as llama.cpp's
// converter writes them. The layer and tensor names are bitnet-b1.58's (sub-norms included);
// the FFN gate is SiLU unless `bitnet.hidden_activation` says ReLU², and the optional per-tensor
// `.scale` tensors are applied by the WeightBinder.
#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "model/arch/architectures.hpp"
#include "model/config.hpp"

namespace bitnet::arch {

namespace {

void configure_bitnet(const GgufFile& f, ModelConfig& c) {
    c.ffn_act = FfnActivation::silu;
    const std::string key = c.arch_name + ".hidden_activation";
    if (auto act = f.opt_string(key)) {
        if (*act == "relu2" || *act == "relu_sqr" || *act == "relu_squared") {
            c.ffn_act = FfnActivation::relu_sqr;
        } else if (*act != "silu" && *act != "swiglu") {
            fail(strprintf("%s: %s '%.*s' is not supported", f.path().c_str(), key.c_str(), static_cast<int>(act->size()),
                           act->data()));
        }
    }
}

}  // namespace

const Architecture bitnet = {"bitnet", configure_bitnet, bind_bitnet_layer, bitnet_layer};

}  // namespace bitnet::arch
