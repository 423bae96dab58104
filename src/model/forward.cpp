#include "model/forward.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "quant/types.hpp"

namespace bitnet {

namespace {

// Rows per unit of work when a matrix is split across threads: small for one token (the kernel
// streams rows), larger for a batch (the kernel blocks rows for cache reuse across tokens).
constexpr size_t kRowGrain = 32;
constexpr size_t kRowGrainBatch = 64;

// Per-token work: split across threads for a batch, inline for a single token (waking the pool
// for microseconds of work would cost more than the work).
template <class F>
void for_tokens(ThreadPool& pool, int64_t n, F&& body) {
    if (n == 1) {
        body(size_t{0}, size_t{1});
    } else {
        pool.parallel_for(static_cast<size_t>(n), 1, body);
    }
}

// x[r] += p[r] over one thread's rows (vectorizable: the arrays never alias).
void add_rows(float* __restrict x, const float* __restrict p, size_t b, size_t e) {
    for (size_t r = b; r < e; ++r) x[r] += p[r];
}

void silu_mul(float* __restrict g, const float* __restrict u, size_t b, size_t e) {
    for (size_t r = b; r < e; ++r) g[r] = g[r] / (1.0f + std::exp(-g[r])) * u[r];
}

}  // namespace

Forward::Forward(const ModelConfig& config, const ModelWeights& weights, int64_t n_batch)
    : c_(config), weights_(weights), k_(kernels()), n_batch_(std::max<int64_t>(1, n_batch)) {
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
    // Largest head activation row: f32, or Q8_K blocks (292 bytes per 256 values).
    const size_t head_row_floats = static_cast<size_t>(c_.n_embd) + static_cast<size_t>(c_.n_embd / 32 + 1) * 16;
    head_acts_.reset(nb * head_row_floats);
}

size_t Forward::scratch_bytes() const {
    size_t total = (x_.size() + xn_.size() + q_.size() + k_cur_.size() + v_cur_.size() + att_.size() + gate_.size() +
                    up_.size() + proj_.size() + rope_cos_.size() + rope_sin_.size() + head_acts_.size()) *
                       sizeof(float) +
                   acts_.size() + scales_.size() * sizeof(ActScale);
    for (const auto& s : att_scratch_) total += s.size() * sizeof(float);
    return total;
}

void Forward::embed(std::span<const int32_t> tokens) {
    for (size_t t = 0; t < tokens.size(); ++t) {
        const int32_t id = tokens[t];
        if (id < 0 || id >= weights_.n_vocab) {
            fail(strprintf("token id %d is out of range (the model has %lld tokens)", id,
                           static_cast<long long>(weights_.n_vocab)));
        }
        const uint8_t* row = weights_.embd_data + static_cast<size_t>(id) * weights_.embd_row_bytes;
        dequantize_rows(weights_.embd_type, row, c_.n_embd, c_.n_embd, 0, 1, x_.data() + t * c_.n_embd);
    }
}

// RMS-normalises `n` rows of `dim` values into xn_ and invalidates the quantized activations.
void Forward::norm(ThreadPool& pool, int64_t n, const float* in, int64_t dim, const float* weight) {
    norm_dim_ = dim;
    quantized_[0] = quantized_[1] = false;
    auto body = [&](size_t b, size_t e) {
        for (size_t t = b; t < e; ++t) k_.rms_norm(in + t * dim, weight, dim, c_.rms_eps, xn_.data() + t * dim);
    };
    for_tokens(pool, n, body);
}

// Quantizes xn_ for the given layout, once per norm and layout.
void Forward::quantize(ThreadPool& pool, int64_t n, WeightLayout layout) {
    const int which = layout == WeightLayout::bits2 ? 0 : 1;
    int8_t* base = acts_.data() + static_cast<size_t>(which) * static_cast<size_t>(n_batch_ * act_stride_);
    ActScale* sc = scales_.data() + which * n_batch_;
    if (!quantized_[which]) {
        auto body = [&](size_t b, size_t e) {
            for (size_t t = b; t < e; ++t) {
                k_.quantize_acts(xn_.data() + t * norm_dim_, norm_dim_, layout, base + t * act_stride_, sc + t);
            }
        };
        for_tokens(pool, n, body);
        quantized_[which] = true;
    }
}

const int8_t* Forward::act_data(WeightLayout layout) const {
    return acts_.data() + (layout == WeightLayout::bits2 ? 0 : static_cast<size_t>(n_batch_ * act_stride_));
}

const ActScale* Forward::act_scales(WeightLayout layout) const {
    return scales_.data() + (layout == WeightLayout::bits2 ? 0 : n_batch_);
}

template <class Epilogue>
void Forward::matmul(ThreadPool& pool, int64_t n, std::initializer_list<std::pair<const TernaryMatrix*, float*>> mats,
                     Epilogue&& epilogue) {
    for (const auto& [w, out] : mats) quantize(pool, n, w->layout);
    // Matrices with the same number of rows share the row units (an epilogue for rows [b, e) then
    // sees all their outputs); otherwise units run over the rows of one matrix after another.
    const size_t grain = n == 1 ? kRowGrain : kRowGrainBatch;
    const auto* first = mats.begin()->first;
    const bool same_rows = std::all_of(mats.begin(), mats.end(), [&](const auto& m) { return m.first->rows == first->rows; });
    auto run_rows = [&](const TernaryMatrix& w, float* out, size_t b, size_t e) {
        k_.ternary_matmul(w, static_cast<int64_t>(b), static_cast<int64_t>(e), act_data(w.layout),
                          static_cast<size_t>(act_stride_), act_scales(w.layout), n, out, static_cast<size_t>(w.rows));
    };
    if (same_rows) {
        pool.parallel_for(static_cast<size_t>(first->rows), grain, [&](size_t b, size_t e) {
            for (const auto& [w, out] : mats) run_rows(*w, out, b, e);
            epilogue(b, e);
        });
        return;
    }
    if constexpr (!std::is_same_v<std::decay_t<Epilogue>, NoEpilogue>) fail("an epilogue needs matrices of equal rows");
    size_t units = 0;
    for (const auto& [w, out] : mats) units += (static_cast<size_t>(w->rows) + grain - 1) / grain;
    pool.parallel_for(units, 1, [&](size_t ub, size_t ue) {
        size_t base = 0;
        for (const auto& [w, out] : mats) {
            const size_t mu = (static_cast<size_t>(w->rows) + grain - 1) / grain;
            const size_t b = std::max(ub, base), e = std::min(ue, base + mu);
            if (b < e) run_rows(*w, out, (b - base) * grain, std::min(static_cast<size_t>(w->rows), (e - base) * grain));
            base += mu;
        }
    });
}

void Forward::attention_block(const LayerWeights& L, int64_t layer, int64_t n, int64_t pos, KvCache& cache,
                              ThreadPool& pool) {
    const int64_t hd = c_.head_dim, q_dim = c_.q_dim(), kv_dim = c_.kv_dim();
    norm(pool, n, x_.data(), c_.n_embd, L.attn_norm);
    matmul(pool, n, {{&L.wq, q_.data()}, {&L.wk, k_cur_.data()}, {&L.wv, v_cur_.data()}});

    for_tokens(pool, n, [&](size_t b, size_t e) {
        for (size_t t = b; t < e; ++t) {
            const float* cs = rope_cos_.data() + t * (hd / 2);
            const float* sn = rope_sin_.data() + t * (hd / 2);
            k_.rope_neox(q_.data() + t * q_dim, static_cast<int>(c_.n_head), static_cast<int>(hd), cs, sn);
            k_.rope_neox(k_cur_.data() + t * kv_dim, static_cast<int>(c_.n_head_kv), static_cast<int>(hd), cs, sn);
            cache.store_k(layer, pos + static_cast<int64_t>(t), k_cur_.data() + t * kv_dim);
            cache.store_v(layer, pos + static_cast<int64_t>(t), v_cur_.data() + t * kv_dim);
        }
    });

    // Units of (KV head, token), head-major so that consecutive units of a thread reuse the same
    // head's K and V from L2; each unit reads them once for all the query heads of its GQA group.
    // (Splitting a group across units to balance 5 heads over 2 threads in decode measured slower:
    // the second pass over K and V costs more than the idle thread.)
    const int64_t group = c_.gqa_group();
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    pool.parallel_for(static_cast<size_t>(n * c_.n_head_kv), 1, [&](size_t ub, size_t ue, int thread) {
        float* scratch = att_scratch_[static_cast<size_t>(thread)].data();
        for (size_t u = ub; u < ue; ++u) {
            const int64_t g = static_cast<int64_t>(u) / n, t = static_cast<int64_t>(u) % n;
            k_.attention(q_.data() + t * q_dim + g * group * hd, static_cast<int>(group), static_cast<int>(hd),
                         cache.k(layer, g), cache.v(layer, g), cache.f16(), static_cast<size_t>(hd), pos + t + 1,
                         scale, att_.data() + t * q_dim + g * group * hd, scratch);
        }
    });

    norm(pool, n, att_.data(), q_dim, L.attn_sub_norm);
    matmul(pool, n, {{&L.wo, proj_.data()}}, [&](size_t b, size_t e) {
        for (int64_t t = 0; t < n; ++t) add_rows(x_.data() + t * c_.n_embd, proj_.data() + t * c_.n_embd, b, e);
    });
}

void Forward::ffn_block(const LayerWeights& L, int64_t n, ThreadPool& pool) {
    const int64_t n_ff = c_.n_ff;
    norm(pool, n, x_.data(), c_.n_embd, L.ffn_norm);
    const bool relu_sqr = c_.ffn_act == FfnActivation::relu_sqr;
    matmul(pool, n, {{&L.w_gate, gate_.data()}, {&L.w_up, up_.data()}}, [&](size_t b, size_t e) {
        for (int64_t t = 0; t < n; ++t) {
            float* g = gate_.data() + t * n_ff;
            const float* u = up_.data() + t * n_ff;
            if (relu_sqr) {
                k_.relu_sqr_mul(g + b, u + b, static_cast<int64_t>(e - b));
            } else {
                silu_mul(g, u, b, e);
            }
        }
    });
    norm(pool, n, gate_.data(), n_ff, L.ffn_sub_norm);
    matmul(pool, n, {{&L.w_down, proj_.data()}}, [&](size_t b, size_t e) {
        for (int64_t t = 0; t < n; ++t) add_rows(x_.data() + t * c_.n_embd, proj_.data() + t * c_.n_embd, b, e);
    });
}

void Forward::head(ThreadPool& pool, int64_t first, int64_t count, std::span<float> logits) {
    const int64_t d = c_.n_embd;
    for (int64_t t = 0; t < count; ++t) {
        k_.rms_norm(x_.data() + (first + t) * d, weights_.output_norm, d, c_.rms_eps, xn_.data() + t * d);
    }
    const DenseMatrix& w = weights_.output;
    const void* acts = xn_.data();
    size_t stride = static_cast<size_t>(d) * sizeof(float);
    if (w.type == DenseType::q8_0) {
        auto* blocks = reinterpret_cast<BlockQ8_0*>(head_acts_.data());
        stride = static_cast<size_t>(d / 32) * sizeof(BlockQ8_0);
        for (int64_t t = 0; t < count; ++t) {
            k_.quantize_q8_0(xn_.data() + t * d, d, reinterpret_cast<BlockQ8_0*>(reinterpret_cast<uint8_t*>(blocks) + t * stride));
        }
        acts = blocks;
    } else if (w.type == DenseType::q6_k) {
        auto* blocks = reinterpret_cast<BlockQ8_K*>(head_acts_.data());
        stride = static_cast<size_t>(d / 256) * sizeof(BlockQ8_K);
        for (int64_t t = 0; t < count; ++t) {
            k_.quantize_q8_k(xn_.data() + t * d, d, reinterpret_cast<BlockQ8_K*>(reinterpret_cast<uint8_t*>(blocks) + t * stride));
        }
        acts = blocks;
    }
    const int64_t n_vocab = weights_.n_vocab;
    pool.parallel_for(static_cast<size_t>(n_vocab), count == 1 ? 256 : 128, [&](size_t b, size_t e) {
        k_.dense_matmul(w, static_cast<int64_t>(b), static_cast<int64_t>(e), acts, stride, count, logits.data(),
                        static_cast<size_t>(n_vocab));
    });
}

void Forward::eval(std::span<const int32_t> tokens, int64_t pos, KvCache& cache, ThreadPool& pool, bool all_logits,
                   std::span<float> logits) {
    const auto n = static_cast<int64_t>(tokens.size());
    if (n == 0) fail("no tokens to evaluate");
    if (n > n_batch_) fail(strprintf("%lld tokens exceed the batch size %lld", static_cast<long long>(n),
                                     static_cast<long long>(n_batch_)));
    if (pos < 0 || pos + n > cache.n_ctx()) {
        fail(strprintf("context is full: %lld tokens at position %lld exceed the context size %lld",
                       static_cast<long long>(n), static_cast<long long>(pos), static_cast<long long>(cache.n_ctx())));
    }
    const size_t need = static_cast<size_t>((all_logits ? n : 1) * weights_.n_vocab);
    if (logits.size() < need) fail("logits buffer too small");

    embed(tokens);
    const int64_t half = c_.head_dim / 2;
    for (int64_t t = 0; t < n; ++t) {
        for (int64_t i = 0; i < half; ++i) {
            const double inv_freq = std::pow(static_cast<double>(c_.rope_theta), -2.0 * static_cast<double>(i) /
                                                                                    static_cast<double>(c_.head_dim));
            const double angle = static_cast<double>(pos + t) * inv_freq;
            rope_cos_[static_cast<size_t>(t * half + i)] = static_cast<float>(std::cos(angle));
            rope_sin_[static_cast<size_t>(t * half + i)] = static_cast<float>(std::sin(angle));
        }
    }
    const size_t scratch_need = static_cast<size_t>(c_.gqa_group() * cache.n_ctx());
    if (att_scratch_.size() != static_cast<size_t>(pool.size()) || att_scratch_ctx_ < cache.n_ctx()) {
        att_scratch_.clear();
        for (int i = 0; i < pool.size(); ++i) att_scratch_.emplace_back(scratch_need);
        att_scratch_ctx_ = cache.n_ctx();
    }

    for (int64_t l = 0; l < c_.n_layer; ++l) {
        const LayerWeights& L = weights_.layers[static_cast<size_t>(l)];
        attention_block(L, l, n, pos, cache, pool);
        ffn_block(L, n, pool);
    }
    head(pool, all_logits ? 0 : n - 1, all_logits ? n : 1, logits);
}

}  // namespace bitnet
