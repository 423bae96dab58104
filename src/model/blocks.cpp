// The building blocks of a layer (Forward's public block methods): norms, BitLinear products
// with their fused epilogues, RoPE, the KV cache and attention, each over the whole batch.
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "model/forward.hpp"

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

void silu_mul(float* __restrict g, const float* __restrict u, int64_t n) {
    for (int64_t r = 0; r < n; ++r) g[r] = g[r] / (1.0f + std::exp(-g[r])) * u[r];
}

}  // namespace

Rows Forward::rms_norm(Rows in, const float* weight) {
    const Rows out{xn_.data(), in.dim};
    for_tokens(*pool_, n_, [&](size_t b, size_t e) {
        for (size_t t = b; t < e; ++t) {
            const auto ti = static_cast<int64_t>(t);
            k_.rms_norm(in.row(ti), weight, in.dim, c_.rms_eps, out.row(ti));
        }
    });
    return out;
}

QuantizedRows Forward::quantize(Rows in) {
    QuantizedRows q{};
    q.stride = static_cast<size_t>(act_stride_);
    for (size_t layout = 0; layout < 2; ++layout) {
        int8_t* base = acts_.data() + layout * static_cast<size_t>(n_batch_ * act_stride_);
        ActScale* sc = scales_.data() + layout * static_cast<size_t>(n_batch_);
        q.data[layout] = base;
        q.scales[layout] = sc;
        if (!weights_.layouts_used[layout]) continue;
        const auto wl = static_cast<WeightLayout>(layout);
        for_tokens(*pool_, n_, [&](size_t b, size_t e) {
            for (size_t t = b; t < e; ++t) {
                k_.quantize_acts(in.row(static_cast<int64_t>(t)), in.dim, wl, base + t * q.stride, sc + t);
            }
        });
    }
    return q;
}

// Runs the products of `mats` (one shared input) split by output rows across threads; with equal
// row counts each thread then calls after(b, e) on the rows [b, e) it computed of every matrix.
template <class PerRows>
void Forward::bitlinear_rows(const QuantizedRows& a, std::initializer_list<std::pair<const TernaryMatrix*, Rows>> mats,
                             PerRows&& after) {
    const size_t grain = n_ == 1 ? kRowGrain : kRowGrainBatch;
    auto run_rows = [&](const TernaryMatrix& w, Rows out, size_t b, size_t e) {
        const auto layout = static_cast<size_t>(w.layout);
        k_.ternary_matmul(w, static_cast<int64_t>(b), static_cast<int64_t>(e), a.data[layout], a.stride,
                          a.scales[layout], n_, out.data, static_cast<size_t>(out.dim));
    };
    const TernaryMatrix* first = mats.begin()->first;
    const bool same_rows = std::all_of(mats.begin(), mats.end(), [&](const auto& m) { return m.first->rows == first->rows; });
    if (same_rows) {
        pool_->parallel_for(static_cast<size_t>(first->rows), grain, [&](size_t b, size_t e) {
            for (const auto& [w, out] : mats) run_rows(*w, out, b, e);
            after(b, e);
        });
        return;
    }
    // Different shapes (q, k, v under GQA): units run over the rows of one matrix after another.
    size_t units = 0;
    for (const auto& [w, out] : mats) units += (static_cast<size_t>(w->rows) + grain - 1) / grain;
    pool_->parallel_for(units, 1, [&](size_t ub, size_t ue) {
        size_t base = 0;
        for (const auto& [w, out] : mats) {
            const size_t mu = (static_cast<size_t>(w->rows) + grain - 1) / grain;
            const size_t b = std::max(ub, base), e = std::min(ue, base + mu);
            if (b < e) run_rows(*w, out, (b - base) * grain, std::min(static_cast<size_t>(w->rows), (e - base) * grain));
            base += mu;
        }
    });
}

void Forward::bitlinear(const QuantizedRows& a, std::initializer_list<std::pair<const TernaryMatrix*, Rows>> mats) {
    bitlinear_rows(a, mats, [](size_t, size_t) {});
}

void Forward::bitlinear_add(const QuantizedRows& a, const TernaryMatrix& w, Rows residual) {
    const Rows proj{proj_.data(), w.rows};
    if (residual.dim != w.rows) fail("bitlinear_add: the residual width differs from the matrix rows");
    bitlinear_rows(a, {{&w, proj}}, [&](size_t b, size_t e) {
        for (int64_t t = 0; t < n_; ++t) {
            float* __restrict x = residual.row(t);
            const float* __restrict p = proj.row(t);
            for (size_t r = b; r < e; ++r) x[r] += p[r];
        }
    });
}

void Forward::bitlinear_gated(const QuantizedRows& a, const TernaryMatrix& w_gate, const TernaryMatrix& w_up,
                              FfnActivation act) {
    const Rows g = gate(), u = up();
    bitlinear_rows(a, {{&w_gate, g}, {&w_up, u}}, [&](size_t b, size_t e) {
        for (int64_t t = 0; t < n_; ++t) {
            const auto n = static_cast<int64_t>(e - b);
            if (act == FfnActivation::relu_sqr) {
                k_.relu_sqr_mul(g.row(t) + b, u.row(t) + b, n);
            } else {
                silu_mul(g.row(t) + b, u.row(t) + b, n);
            }
        }
    });
}

void Forward::rope(Rows q, Rows k) {
    const int64_t half = c_.head_dim / 2;
    const int hd = static_cast<int>(c_.head_dim);
    for_tokens(*pool_, n_, [&](size_t b, size_t e) {
        for (size_t t = b; t < e; ++t) {
            const float* cs = rope_cos_.data() + t * static_cast<size_t>(half);
            const float* sn = rope_sin_.data() + t * static_cast<size_t>(half);
            k_.rope_neox(q.row(static_cast<int64_t>(t)), static_cast<int>(q.dim / c_.head_dim), hd, cs, sn);
            k_.rope_neox(k.row(static_cast<int64_t>(t)), static_cast<int>(k.dim / c_.head_dim), hd, cs, sn);
        }
    });
}

void Forward::store_kv(int64_t layer, Rows k, Rows v) {
    for_tokens(*pool_, n_, [&](size_t b, size_t e) {
        for (size_t t = b; t < e; ++t) {
            KvCache& cache = *batch_->caches[t];
            cache.store_k(layer, batch_->positions[t], k.row(static_cast<int64_t>(t)));
            cache.store_v(layer, batch_->positions[t], v.row(static_cast<int64_t>(t)));
        }
    });
}

// Units of (KV head, token), head-major so that consecutive units of a thread reuse the same
// head's K and V from L2; each unit reads them once for all the query heads of its GQA group.
// (Splitting a group across units to balance 5 heads over 2 threads in decode measured slower:
// the second pass over K and V costs more than the idle thread.)
void Forward::attention(int64_t layer, Rows q, Rows out) {
    const int64_t hd = c_.head_dim, group = c_.gqa_group();
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    pool_->parallel_for(static_cast<size_t>(n_ * c_.n_head_kv), 1, [&](size_t ub, size_t ue, int thread) {
        float* scratch = att_scratch_[static_cast<size_t>(thread)].data();
        for (size_t u = ub; u < ue; ++u) {
            const int64_t g = static_cast<int64_t>(u) / n_, t = static_cast<int64_t>(u) % n_;
            KvCache& cache = *batch_->caches[static_cast<size_t>(t)];
            const int64_t n_pos = batch_->positions[static_cast<size_t>(t)] + 1;
            k_.attention(q.row(t) + g * group * hd, static_cast<int>(group), static_cast<int>(hd), cache.k(layer, g),
                         cache.v(layer, g), cache.f16(), static_cast<size_t>(hd), n_pos, scale,
                         out.row(t) + g * group * hd, scratch);
        }
    });
}

}  // namespace bitnet
