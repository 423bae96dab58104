#include "train/params.hpp"

#include <cmath>

#include "core/rng.hpp"

namespace bitnet {

ParamLayout::ParamLayout(const TrainShape& s) : shape(s) {
    auto add = [&](std::string name, int64_t rows, int64_t cols, bool ternary) {
        ParamTensor t;
        t.name = std::move(name);
        t.offset = n_floats;
        t.rows = rows;
        t.cols = cols;
        t.ternary = ternary;
        t.decay = rows > 1;
        n_floats += t.size();
        tensors.push_back(std::move(t));
        return tensors.size() - 1;
    };
    token_embd = add("token_embd.weight", s.n_vocab, s.n_embd, false);
    output_norm = add("output_norm.weight", 1, s.n_embd, false);
    for (int64_t il = 0; il < s.n_layer; ++il) {
        const std::string p = "blk." + std::to_string(il) + ".";
        LayerIndex x{};
        x.attn_norm = add(p + "attn_norm.weight", 1, s.n_embd, false);
        x.wq = add(p + "attn_q.weight", s.q_dim(), s.n_embd, true);
        x.wk = add(p + "attn_k.weight", s.kv_dim(), s.n_embd, true);
        x.wv = add(p + "attn_v.weight", s.kv_dim(), s.n_embd, true);
        x.attn_sub_norm = add(p + "attn_sub_norm.weight", 1, s.q_dim(), false);
        x.wo = add(p + "attn_output.weight", s.n_embd, s.q_dim(), true);
        x.ffn_norm = add(p + "ffn_norm.weight", 1, s.n_embd, false);
        x.w_gate = add(p + "ffn_gate.weight", s.n_ff, s.n_embd, true);
        x.w_up = add(p + "ffn_up.weight", s.n_ff, s.n_embd, true);
        x.ffn_sub_norm = add(p + "ffn_sub_norm.weight", 1, s.n_ff, false);
        x.w_down = add(p + "ffn_down.weight", s.n_embd, s.n_ff, true);
        layers.push_back(x);
    }
}

size_t ParamLayout::count_ternary() const {
    size_t n = 0;
    for (const ParamTensor& t : tensors) n += t.ternary ? t.size() : 0;
    return n;
}

std::vector<float> init_params(const ParamLayout& layout, uint64_t seed) {
    std::vector<float> p(layout.n_floats);
    Rng rng(seed);
    const double resid = 0.02 / std::sqrt(2.0 * static_cast<double>(layout.shape.n_layer));
    for (const ParamTensor& t : layout.tensors) {
        float* w = p.data() + t.offset;
        if (t.rows == 1) {
            for (size_t i = 0; i < t.size(); ++i) w[i] = 1.0f;
            continue;
        }
        const bool residual = t.name.ends_with("attn_output.weight") || t.name.ends_with("ffn_down.weight");
        const double sigma = residual ? resid : 0.02;
        for (size_t i = 0; i < t.size(); ++i) w[i] = static_cast<float>(sigma * rng.normal());
    }
    return p;
}

}  // namespace bitnet
