#include "model/forward.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/dense_types.hpp"
#include "quant/types.hpp"

namespace bitnet {

Forward::Forward(const ModelConfig& config, const ModelWeights& weights, int64_t n_batch, int64_t max_ctx,
                 int n_threads)
    : c_(config), weights_(weights), k_(kernels()), n_batch_(std::max<int64_t>(1, n_batch)), max_ctx_(max_ctx) {
    const int64_t max_k = std::max({c_.n_embd, c_.q_dim(), c_.n_ff});
    act_stride_ = (std::max(layout_padded_k(WeightLayout::bits2, max_k), layout_padded_k(WeightLayout::base3, max_k)) +
                   63) / 64 * 64;
    const auto nb = static_cast<size_t>(n_batch_);
    x_.reset(nb * static_cast<size_t>(c_.n_embd));
    xn_.reset(nb * static_cast<size_t>(max_k));
    acts_.reset(2 * nb * static_cast<size_t>(act_stride_));
    scales_.reset(2 * nb);
    q_.reset(nb * static_cast<size_t>(c_.q_dim()));
    k_cur_.reset(nb * static_cast<size_t>(c_.kv_dim()));
    v_cur_.reset(nb * static_cast<size_t>(c_.kv_dim()));
    att_.reset(nb * static_cast<size_t>(c_.q_dim()));
    gate_.reset(nb * static_cast<size_t>(c_.n_ff));
    up_.reset(nb * static_cast<size_t>(c_.n_ff));
    proj_.reset(nb * static_cast<size_t>(c_.n_embd));
    rope_cos_.reset(nb * static_cast<size_t>(c_.head_dim / 2));
    rope_sin_.reset(nb * static_cast<size_t>(c_.head_dim / 2));
    head_acts_.reset(nb * dense_traits(weights_.output.type).act_row_bytes(c_.n_embd));
    for (int i = 0; i < std::max(1, n_threads); ++i) {
        att_scratch_.emplace_back(static_cast<size_t>(c_.gqa_group() * max_ctx_));
    }
}

size_t Forward::scratch_bytes() const {
    size_t total = (x_.size() + xn_.size() + q_.size() + k_cur_.size() + v_cur_.size() + att_.size() + gate_.size() +
                    up_.size() + proj_.size() + rope_cos_.size() + rope_sin_.size()) *
                       sizeof(float) +
                   acts_.size() + scales_.size() * sizeof(ActScale) + head_acts_.size();
    for (const auto& s : att_scratch_) total += s.size() * sizeof(float);
    return total;
}

void Forward::embed() {
    for (int64_t t = 0; t < n_; ++t) {
        const int32_t id = batch_->tokens[static_cast<size_t>(t)];
        const uint8_t* row = weights_.embd_data + static_cast<size_t>(id) * weights_.embd_row_bytes;
        dequantize_rows(weights_.embd_type, row, c_.n_embd, c_.n_embd, 0, 1, x().row(t));
    }
}

// cos / sin of every rotation angle at each token's position (angles in double, as the reference).
void Forward::rope_tables() {
    const int64_t half = c_.head_dim / 2;
    for (int64_t t = 0; t < n_; ++t) {
        const auto pos = static_cast<double>(batch_->positions[static_cast<size_t>(t)]);
        for (int64_t i = 0; i < half; ++i) {
            const double inv_freq = std::pow(static_cast<double>(c_.rope_theta),
                                             -2.0 * static_cast<double>(i) / static_cast<double>(c_.head_dim));
            rope_cos_[static_cast<size_t>(t * half + i)] = static_cast<float>(std::cos(pos * inv_freq));
            rope_sin_[static_cast<size_t>(t * half + i)] = static_cast<float>(std::sin(pos * inv_freq));
        }
    }
}

// logits row j = head · rms_norm(x of token logits_for[j]); the activations are prepared in the
// format the head's type takes (its DenseTypeTraits).
void Forward::head(std::span<float> logits) {
    const int64_t d = c_.n_embd;
    const auto count = static_cast<int64_t>(batch_->logits_for.size());
    if (count == 0) return;
    const DenseMatrix& w = weights_.output;
    const DenseTypeTraits& traits = dense_traits(w.type);
    const size_t stride = traits.act_row_bytes(d);
    float* normed = xn_.data();
    for (int64_t j = 0; j < count; ++j) {
        const int64_t t = batch_->logits_for[static_cast<size_t>(j)];
        k_.rms_norm(x().row(t), weights_.output_norm, d, c_.rms_eps, normed + j * d);
        traits.prepare_acts(k_, normed + j * d, d, head_acts_.data() + static_cast<size_t>(j) * stride);
    }
    const int64_t n_vocab = weights_.n_vocab;
    const DenseMatmulFn matmul = k_.dense_matmul[dense_index(w.type)];
    pool_->parallel_for(static_cast<size_t>(n_vocab), count == 1 ? 256 : 128, [&](size_t b, size_t e) {
        matmul(w, static_cast<int64_t>(b), static_cast<int64_t>(e), head_acts_.data(), stride, count, logits.data(),
               static_cast<size_t>(n_vocab));
    });
}

namespace {

void check_batch(const ForwardBatch& b, int64_t n_batch, int64_t n_vocab, size_t logits_size) {
    const size_t n = b.tokens.size();
    if (n == 0) fail("no tokens to evaluate");
    if (static_cast<int64_t>(n) > n_batch) {
        fail(strprintf("%zu tokens exceed the batch size %lld", n, static_cast<long long>(n_batch)));
    }
    if (b.positions.size() != n || b.caches.size() != n) fail("batch: one position and one cache per token");
    for (size_t t = 0; t < n; ++t) {
        if (b.tokens[t] < 0 || b.tokens[t] >= n_vocab) {
            fail(strprintf("token id %d is out of range (the model has %lld tokens)", b.tokens[t],
                           static_cast<long long>(n_vocab)));
        }
        if (b.caches[t] == nullptr || b.positions[t] < 0 || b.positions[t] >= b.caches[t]->n_ctx()) {
            fail(strprintf("context is full: position %lld is outside the context of %lld tokens",
                           static_cast<long long>(b.positions[t]),
                           static_cast<long long>(b.caches[t] ? b.caches[t]->n_ctx() : 0)));
        }
    }
    for (int32_t t : b.logits_for) {
        if (t < 0 || static_cast<size_t>(t) >= n) fail("batch: a logits index is outside the batch");
    }
    if (logits_size < b.logits_for.size() * static_cast<size_t>(n_vocab)) fail("logits buffer too small");
}

}  // namespace

void Forward::eval(const ForwardBatch& batch, ThreadPool& pool, std::span<float> logits) {
    check_batch(batch, n_batch_, weights_.n_vocab, logits.size());
    for (KvCache* cache : batch.caches) {
        if (cache->n_ctx() > max_ctx_) fail("a cache is larger than the forward pass was sized for");
    }
    batch_ = &batch;
    pool_ = &pool;
    n_ = static_cast<int64_t>(batch.tokens.size());

    embed();
    rope_tables();
    for (int64_t l = 0; l < c_.n_layer; ++l) c_.arch->layer(*this, weights_.layers[static_cast<size_t>(l)], l);
    head(logits);

    batch_ = nullptr;
    pool_ = nullptr;
}

}  // namespace bitnet
