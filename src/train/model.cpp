#include "train/model.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "train/gemm.hpp"
#include "train/ops.hpp"

namespace bitnet {

namespace {

// Hands out consecutive ranges of one float array; with base == nullptr it only counts.
struct Carver {
    float* base;
    size_t used = 0;
    float* take(int64_t n) {
        float* p = base ? base + used : nullptr;
        used += static_cast<size_t>(n);
        return p;
    }
};

// Activations kept for backward: one LayerActs per layer, then the head's.
template <class Acts>
size_t carve_acts(const TrainShape& s, int64_t max_seq, float* base, std::vector<Acts>* layers, float** head) {
    const int64_t T = max_seq * s.n_ctx, D = s.n_embd, Q = s.q_dim(), KV = s.kv_dim(), F = s.n_ff;
    Carver c{base};
    for (int64_t il = 0; il < s.n_layer; ++il) {
        Acts a{};
        a.x_in = c.take(T * D);
        a.r1 = c.take(T);
        a.a1 = c.take(T * D);
        a.q = c.take(T * Q);
        a.k = c.take(T * KV);
        a.v = c.take(T * KV);
        a.probs = c.take(max_seq * s.n_head * s.n_ctx * s.n_ctx);
        a.att = c.take(T * Q);
        a.r2 = c.take(T);
        a.a2 = c.take(T * Q);
        a.x_mid = c.take(T * D);
        a.r3 = c.take(T);
        a.a3 = c.take(T * D);
        a.g = c.take(T * F);
        a.u = c.take(T * F);
        a.m = c.take(T * F);
        a.r4 = c.take(T);
        a.a4 = c.take(T * F);
        if (layers) layers->push_back(a);
    }
    head[0] = c.take(T * D);          // x_final
    head[1] = c.take(T);              // rf
    head[2] = c.take(T * D);          // zf
    head[3] = c.take(T * s.n_vocab);  // logits
    return c.used;
}

struct CountActs {
    float *x_in, *r1, *a1, *q, *k, *v, *probs, *att, *r2, *a2, *x_mid, *r3, *a3, *g, *u, *m, *r4, *a4;
};

}  // namespace

size_t TrainModel::memory_needed(const TrainShape& s, int64_t max_seq) {
    float* head[4];
    const size_t acts = carve_acts<CountActs>(s, max_seq, nullptr, nullptr, head);
    const auto T = static_cast<size_t>(max_seq * s.n_ctx);
    const size_t widest = static_cast<size_t>(std::max({s.n_embd, s.n_ff, s.q_dim()}));
    const size_t scratch = T * (static_cast<size_t>(s.n_embd) + widest + 2 * static_cast<size_t>(s.q_dim()) +
                                2 * static_cast<size_t>(s.kv_dim()) + 3 * static_cast<size_t>(s.n_ff));
    return (acts + scratch) * sizeof(float);
}

TrainModel::TrainModel(const ParamLayout& layout, ThreadPool& pool, int64_t max_seq, size_t memory_limit)
    : layout_(layout), s_(layout.shape), pool_(pool), attention_(layout.shape, pool.size()), max_seq_(max_seq) {
    validate_shape(s_);
    if (max_seq <= 0 || max_seq > 4096) fail(strprintf("train: batch of %lld sequences is out of range (1 .. 4096)",
                                                       static_cast<long long>(max_seq)));
    const size_t need = memory_needed(s_, max_seq);
    if (need > memory_limit) {
        fail(strprintf("train: activations for %lld sequences of %lld tokens need %.1f GiB (limit %.1f GiB); use a smaller "
                       "batch or context",
                       static_cast<long long>(max_seq), static_cast<long long>(s_.n_ctx), static_cast<double>(need) / 1073741824.0,
                       static_cast<double>(memory_limit) / 1073741824.0));
    }
    float* head[4];
    acts_.resize(carve_acts<CountActs>(s_, max_seq, nullptr, nullptr, head));
    carve_acts<LayerActs>(s_, max_seq, acts_.data(), &layers_, head);
    x_final_ = head[0];
    rf_ = head[1];
    zf_ = head[2];
    logits_ = head[3];
    const auto T = static_cast<size_t>(max_seq * s_.n_ctx);
    const auto widest = static_cast<size_t>(std::max({s_.n_embd, s_.n_ff, s_.q_dim()}));
    eff_.resize(layout.n_floats);
    rope_cos_.resize(static_cast<size_t>(s_.n_ctx * s_.head_dim() / 2));
    rope_sin_.resize(rope_cos_.size());
    rope_tables(s_.n_ctx, s_.head_dim(), s_.rope_theta, rope_cos_.data(), rope_sin_.data());
    row_loss_.resize(T);
    dx_.resize(T * static_cast<size_t>(s_.n_embd));
    da_.resize(T * widest);
    dq_.resize(T * static_cast<size_t>(s_.q_dim()));
    datt_.resize(dq_.size());
    dk_.resize(T * static_cast<size_t>(s_.kv_dim()));
    dv_.resize(dk_.size());
    dm_.resize(T * static_cast<size_t>(s_.n_ff));
    dg_.resize(dm_.size());
    du_.resize(dm_.size());
}

std::vector<const float*> TrainModel::bitlinear_inputs(int64_t il) const {
    const LayerActs& a = layers_.at(static_cast<size_t>(il));
    return {a.a1, a.a2, a.a3, a.a4};
}

const float* TrainModel::weight(const float* params, size_t tensor) const {
    const ParamTensor& t = layout_[tensor];
    return (t.ternary ? eff_.data() : params) + t.offset;
}

void TrainModel::prepare_weights(const float* params, bool qat) {
    std::vector<size_t> ternary;
    for (size_t i = 0; i < layout_.tensors.size(); ++i) {
        if (layout_[i].ternary) ternary.push_back(i);
    }
    pool_.parallel_for(ternary.size(), 1, [&](size_t b, size_t e) {
        for (size_t j = b; j < e; ++j) {
            const ParamTensor& t = layout_[ternary[j]];
            if (qat) {
                weight_quant(params + t.offset, t.size(), eff_.data() + t.offset);
            } else {
                std::memcpy(eff_.data() + t.offset, params + t.offset, t.size() * sizeof(float));
            }
        }
    });
}

// y[T×rows] (=|+=) x[T×cols]·Wᵀ.
void TrainModel::linear(const float* x, size_t tensor, const float* params, float* y, bool accumulate) {
    const ParamTensor& t = layout_[tensor];
    gemm(&pool_, T_, t.rows, t.cols, rows_of(x, t.cols), transposed(weight(params, tensor), t.cols), y, t.rows,
         accumulate, pack_);
}

// dx (=|+=) dy·W, dW += dyᵀ·x.
void TrainModel::linear_backward(const float* dy, const float* x, size_t tensor, const float* params, float* grads,
                                 float* dx, bool accumulate_dx) {
    const ParamTensor& t = layout_[tensor];
    gemm(&pool_, T_, t.cols, t.rows, rows_of(dy, t.rows), rows_of(weight(params, tensor), t.cols), dx, t.cols,
         accumulate_dx, pack_);
    gemm(&pool_, t.rows, t.cols, T_, transposed(dy, t.rows), rows_of(x, t.cols), grads + t.offset, t.cols, true, pack_);
}

double TrainModel::forward(const float* params, const TrainBatch& batch, bool qat, bool want_grad) {
    if (batch.n_seq <= 0 || batch.n_seq > max_seq_ || batch.len <= 0 || batch.len > s_.n_ctx) {
        fail(strprintf("train: batch of %lld × %lld tokens exceeds the model's %lld × %lld buffers",
                       static_cast<long long>(batch.n_seq), static_cast<long long>(batch.len),
                       static_cast<long long>(max_seq_), static_cast<long long>(s_.n_ctx)));
    }
    n_seq_ = batch.n_seq;
    len_ = batch.len;
    T_ = batch.tokens();
    const int64_t D = s_.n_embd, V = s_.n_vocab;
    inputs_.assign(batch.inputs, batch.inputs + T_);
    targets_.assign(batch.targets, batch.targets + T_);
    for (int64_t t = 0; t < T_; ++t) {
        if (inputs_[static_cast<size_t>(t)] < 0 || inputs_[static_cast<size_t>(t)] >= V || targets_[static_cast<size_t>(t)] >= V) {
            fail(strprintf("train: token id at row %lld is outside the vocabulary of %lld", static_cast<long long>(t),
                           static_cast<long long>(V)));
        }
    }
    prepare_weights(params, qat);
    const float* embd = params + layout_[layout_.token_embd].offset;
    for (int64_t t = 0; t < T_; ++t) {
        std::memcpy(layers_[0].x_in + t * D, embd + inputs_[static_cast<size_t>(t)] * D, static_cast<size_t>(D) * sizeof(float));
    }
    for (int64_t il = 0; il < s_.n_layer; ++il) layer_forward(params, il, qat);
    rmsnorm_forward(pool_, x_final_, params + layout_[layout_.output_norm].offset, T_, D, s_.rms_eps, zf_, rf_);
    gemm(&pool_, T_, V, D, rows_of(zf_, D), transposed(embd, D), logits_, V, false, pack_);
    n_scored_ = cross_entropy(pool_, logits_, targets_.data(), T_, V, row_loss_.data(), want_grad);
    double sum = 0.0;
    for (int64_t t = 0; t < T_; ++t) sum += row_loss_[static_cast<size_t>(t)];
    return n_scored_ > 0 ? sum / static_cast<double>(n_scored_) : 0.0;
}

void TrainModel::layer_forward(const float* params, int64_t il, bool qat) {
    const LayerActs& a = layers_[static_cast<size_t>(il)];
    const LayerIndex& x = layout_.layers[static_cast<size_t>(il)];
    const LayerRefs<const float> w = layer_refs(layout_, params, il);
    const int64_t D = s_.n_embd, Q = s_.q_dim(), F = s_.n_ff, hd = s_.head_dim();
    float* x_out = il + 1 < s_.n_layer ? layers_[static_cast<size_t>(il + 1)].x_in : x_final_;

    rmsnorm_forward(pool_, a.x_in, w.attn_norm, T_, D, s_.rms_eps, a.a1, a.r1);
    if (qat) act_quant(pool_, a.a1, T_, D);
    linear(a.a1, x.wq, params, a.q, false);
    linear(a.a1, x.wk, params, a.k, false);
    linear(a.a1, x.wv, params, a.v, false);
    rope_forward(pool_, a.q, T_, len_, s_.n_head, hd, rope_cos_.data(), rope_sin_.data());
    rope_forward(pool_, a.k, T_, len_, s_.n_head_kv, hd, rope_cos_.data(), rope_sin_.data());
    attention_.forward(pool_, a.q, a.k, a.v, n_seq_, len_, a.probs, a.att);
    rmsnorm_forward(pool_, a.att, w.attn_sub_norm, T_, Q, s_.rms_eps, a.a2, a.r2);
    if (qat) act_quant(pool_, a.a2, T_, Q);
    std::memcpy(a.x_mid, a.x_in, static_cast<size_t>(T_ * D) * sizeof(float));
    linear(a.a2, x.wo, params, a.x_mid, true);

    rmsnorm_forward(pool_, a.x_mid, w.ffn_norm, T_, D, s_.rms_eps, a.a3, a.r3);
    if (qat) act_quant(pool_, a.a3, T_, D);
    linear(a.a3, x.w_gate, params, a.g, false);
    linear(a.a3, x.w_up, params, a.u, false);
    relu_sqr_gate_forward(pool_, a.g, a.u, static_cast<size_t>(T_ * F), a.m);
    rmsnorm_forward(pool_, a.m, w.ffn_sub_norm, T_, F, s_.rms_eps, a.a4, a.r4);
    if (qat) act_quant(pool_, a.a4, T_, F);
    std::memcpy(x_out, a.x_mid, static_cast<size_t>(T_ * D) * sizeof(float));
    linear(a.a4, x.w_down, params, x_out, true);
}

void TrainModel::backward(const float* params, float* grads) {
    const int64_t D = s_.n_embd, V = s_.n_vocab;
    const float* embd = params + layout_[layout_.token_embd].offset;
    float* d_embd = grads + layout_[layout_.token_embd].offset;
    // Head: logits = zf·Eᵀ (the logits buffer now holds ∂loss/∂logits).
    gemm(&pool_, T_, D, V, rows_of(logits_, V), rows_of(embd, D), da_.data(), D, false, pack_);
    gemm(&pool_, V, D, T_, transposed(logits_, V), rows_of(zf_, D), d_embd, D, true, pack_);
    rmsnorm_backward(pool_, da_.data(), x_final_, params + layout_[layout_.output_norm].offset, rf_, T_, D, dx_.data(),
                     false, grads + layout_[layout_.output_norm].offset);
    for (int64_t il = s_.n_layer - 1; il >= 0; --il) layer_backward(params, grads, il);
    // Embedding rows, in token order so that repeated tokens always sum the same way.
    for (int64_t t = 0; t < T_; ++t) {
        float* row = d_embd + inputs_[static_cast<size_t>(t)] * D;
        const float* g = dx_.data() + t * D;
        for (int64_t i = 0; i < D; ++i) row[i] += g[i];
    }
}

void TrainModel::layer_backward(const float* params, float* grads, int64_t il) {
    const LayerActs& a = layers_[static_cast<size_t>(il)];
    const LayerIndex& x = layout_.layers[static_cast<size_t>(il)];
    const LayerRefs<const float> w = layer_refs(layout_, params, il);
    const LayerRefs<float> gw = layer_refs(layout_, grads, il);
    const int64_t D = s_.n_embd, Q = s_.q_dim(), F = s_.n_ff, hd = s_.head_dim();
    float* dx = dx_.data();
    float* da = da_.data();

    // x_out = x_mid + down(q(subnorm(relu²(gate(q(norm(x_mid)))) ⊙ up(…))))
    linear_backward(dx, a.a4, x.w_down, params, grads, da, false);
    rmsnorm_backward(pool_, da, a.m, w.ffn_sub_norm, a.r4, T_, F, dm_.data(), false, gw.ffn_sub_norm);
    relu_sqr_gate_backward(pool_, dm_.data(), a.g, a.u, static_cast<size_t>(T_ * F), dg_.data(), du_.data());
    linear_backward(dg_.data(), a.a3, x.w_gate, params, grads, da, false);
    linear_backward(du_.data(), a.a3, x.w_up, params, grads, da, true);
    rmsnorm_backward(pool_, da, a.x_mid, w.ffn_norm, a.r3, T_, D, dx, true, gw.ffn_norm);

    // x_mid = x_in + o(q(subnorm(attention(rope(q(norm(x_in)))…))))
    linear_backward(dx, a.a2, x.wo, params, grads, da, false);
    rmsnorm_backward(pool_, da, a.att, w.attn_sub_norm, a.r2, T_, Q, datt_.data(), false, gw.attn_sub_norm);
    attention_.backward(pool_, a.q, a.k, a.v, a.probs, datt_.data(), n_seq_, len_, dq_.data(), dk_.data(), dv_.data());
    rope_backward(pool_, dq_.data(), T_, len_, s_.n_head, hd, rope_cos_.data(), rope_sin_.data());
    rope_backward(pool_, dk_.data(), T_, len_, s_.n_head_kv, hd, rope_cos_.data(), rope_sin_.data());
    linear_backward(dq_.data(), a.a1, x.wq, params, grads, da, false);
    linear_backward(dk_.data(), a.a1, x.wk, params, grads, da, true);
    linear_backward(dv_.data(), a.a1, x.wv, params, grads, da, true);
    rmsnorm_backward(pool_, da, a.x_in, w.attn_norm, a.r1, T_, D, dx, true, gw.attn_norm);
}

}  // namespace bitnet
