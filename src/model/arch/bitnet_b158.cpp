// bitnet-b1.58 (BitNet-b1.58-2B-4T; "bitnet-25" in bitnet.cpp's converter): a Llama-shaped
// decoder whose projections are BitLinears, with a sub-norm before the attention output and
// before the FFN down projection, a squared-ReLU gated FFN, NeoX RoPE, GQA and a tied head.
// (shared/docs/bitnet-b158-architecture.md §4.)
#include <string_view>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "model/arch/architectures.hpp"
#include "model/config.hpp"
#include "model/forward.hpp"
#include "model/weight_binder.hpp"
#include "model/weights.hpp"

namespace bitnet::arch {

namespace {

// Some converters record `hidden_activation`; the trained model uses ReLU² whatever they say
// ("silu" appears in configs copied from Llama), so only an unknown value is an error.
void configure_b158(const GgufFile& f, ModelConfig& c) {
    c.ffn_act = FfnActivation::relu_sqr;
    const std::string key = c.arch_name + ".hidden_activation";
    if (auto act = f.opt_string(key)) {
        if (*act != "relu2" && *act != "relu_sqr" && *act != "relu_squared" && *act != "silu" && *act != "swiglu") {
            fail(strprintf("%s: %s '%.*s' is not supported", f.path().c_str(), key.c_str(), static_cast<int>(act->size()),
                           act->data()));
        }
    }
}

}  // namespace

void bitnet_layer(Forward& f, const LayerWeights& L, int64_t il) {
    // Attention: x += Wo · subnorm(attention(RoPE(Wq·n), RoPE(Wk·n), Wv·n)), n = norm(x)
    const QuantizedRows n = f.quantize(f.rms_norm(f.x(), L.attn_norm));
    f.bitlinear(n, {{&L.wq, f.q()}, {&L.wk, f.k()}, {&L.wv, f.v()}});
    f.rope(f.q(), f.k());
    f.store_kv(il, f.k(), f.v());
    f.attention(il, f.q(), f.att());
    f.bitlinear_add(f.quantize(f.rms_norm(f.att(), L.attn_sub_norm)), L.wo, f.x());

    // Feed-forward: x += Wdown · subnorm(relu(Wgate·m)² * (Wup·m)), m = norm(x)
    const QuantizedRows m = f.quantize(f.rms_norm(f.x(), L.ffn_norm));
    f.bitlinear_gated(m, L.w_gate, L.w_up, f.config().ffn_act);
    f.bitlinear_add(f.quantize(f.rms_norm(f.gate(), L.ffn_sub_norm)), L.w_down, f.x());
}

// Tensor names as llama.cpp / bitnet.cpp write them.
void bind_bitnet_layer(WeightBinder& w, const ModelConfig& c, int64_t il, LayerWeights& L) {
    bind_llama_layer(w, c, il, L);
    L.attn_sub_norm = w.norm(layer_tensor(il, "attn_sub_norm.weight"), c.q_dim());
    L.ffn_sub_norm = w.norm(layer_tensor(il, "ffn_sub_norm.weight"), c.n_ff);
}

const Architecture bitnet_b158 = {"bitnet-b1.58", configure_b158, bind_bitnet_layer, bitnet_layer};
const Architecture bitnet_25 = {"bitnet-25", configure_b158, bind_bitnet_layer, bitnet_layer};

}  // namespace bitnet::arch
