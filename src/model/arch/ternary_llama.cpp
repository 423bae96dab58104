// ternary-llama: Llama-shaped ternary models (HF1BitLLM/Llama3-8B-1.58, tiiuae Falcon3-*-1.58bit,
// Falcon-E): a Llama decoder whose seven projections are BitLinears (per-token int8 activations,
// ternary weights with a per-tensor scale), RMSNorm, GQA, NeoX RoPE on the Hugging Face q/k layout
// (unlike llama.cpp's "llama", whose converter permutes q/k for interleaved RoPE), a SiLU-gated
// FFN, no sub-norms, and a tied or untied head. (shared/docs/hf-ternary-checkpoints.md §3-4.)
#include "model/arch/architectures.hpp"
#include "model/config.hpp"
#include "model/forward.hpp"
#include "model/weight_binder.hpp"
#include "model/weights.hpp"

namespace bitnet::arch {

namespace {

void configure_ternary_llama(const GgufFile&, ModelConfig& c) { c.ffn_act = FfnActivation::silu; }

void ternary_llama_layer(Forward& f, const LayerWeights& L, int64_t il) {
    // Attention: x += Wo · attention(RoPE(Wq·n), RoPE(Wk·n), Wv·n), n = norm(x)
    const QuantizedRows n = f.quantize(f.rms_norm(f.x(), L.attn_norm));
    f.bitlinear(n, {{&L.wq, f.q()}, {&L.wk, f.k()}, {&L.wv, f.v()}});
    f.rope(f.q(), f.k());
    f.store_kv(il, f.k(), f.v());
    f.attention(il, f.q(), f.att());
    f.bitlinear_add(f.quantize(f.att()), L.wo, f.x());

    // Feed-forward: x += Wdown · (silu(Wgate·m) * (Wup·m)), m = norm(x)
    const QuantizedRows m = f.quantize(f.rms_norm(f.x(), L.ffn_norm));
    f.bitlinear_gated(m, L.w_gate, L.w_up, f.config().ffn_act);
    f.bitlinear_add(f.quantize(f.gate()), L.w_down, f.x());
}

}  // namespace

void bind_llama_layer(WeightBinder& w, const ModelConfig& c, int64_t il, LayerWeights& L) {
    L.attn_norm = w.norm(layer_tensor(il, "attn_norm.weight"), c.n_embd);
    L.ffn_norm = w.norm(layer_tensor(il, "ffn_norm.weight"), c.n_embd);
    L.wq = w.ternary(layer_tensor(il, "attn_q.weight"), c.n_embd, c.q_dim());
    L.wk = w.ternary(layer_tensor(il, "attn_k.weight"), c.n_embd, c.kv_dim());
    L.wv = w.ternary(layer_tensor(il, "attn_v.weight"), c.n_embd, c.kv_dim());
    L.wo = w.ternary(layer_tensor(il, "attn_output.weight"), c.q_dim(), c.n_embd);
    L.w_gate = w.ternary(layer_tensor(il, "ffn_gate.weight"), c.n_embd, c.n_ff);
    L.w_up = w.ternary(layer_tensor(il, "ffn_up.weight"), c.n_embd, c.n_ff);
    L.w_down = w.ternary(layer_tensor(il, "ffn_down.weight"), c.n_ff, c.n_embd);
}

const Architecture ternary_llama = {"ternary-llama", configure_ternary_llama, bind_llama_layer,
                                    ternary_llama_layer};

}  // namespace bitnet::arch
