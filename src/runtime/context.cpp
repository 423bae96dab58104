#include "runtime/context.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

#include "core/error.hpp"

namespace bitnet {

namespace {

int resolve_threads(int n) {
    return n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// MemAvailable from /proc/meminfo, or 0 if unknown.
size_t available_memory() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    size_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit) {
        if (key == "MemAvailable:") return kb * 1024;
    }
    return 0;
}

double gib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0); }

}  // namespace

int64_t choose_context_size(const LoadedModel& model, const ContextOptions& options, std::string& note) {
    const ModelConfig& c = model.config;
    if (options.n_ctx < 0) fail(strprintf("context size %lld must be positive", static_cast<long long>(options.n_ctx)));
    if (options.n_seq < 1) fail(strprintf("number of sequences %d must be positive", options.n_seq));
    const auto n_seq = static_cast<size_t>(options.n_seq);
    const size_t avail = available_memory();
    if (options.n_ctx > 0) {
        const size_t need = KvCache::bytes_needed(c, options.n_ctx, options.kv_type) * n_seq;
        if (avail > 0 && need > avail) {
            fail(strprintf("a context of %lld tokens%s needs %.2f GiB of KV cache, but only %.2f GiB of memory is "
                           "available; use a smaller -c",
                           static_cast<long long>(options.n_ctx),
                           n_seq > 1 ? strprintf(" for each of %zu sequences", n_seq).c_str() : "", gib(need),
                           gib(avail)));
        }
        return options.n_ctx;
    }
    int64_t n_ctx = c.n_ctx_train;
    // Leave half of the available memory for everything else.
    while (avail > 0 && n_ctx > 256 && KvCache::bytes_needed(c, n_ctx, options.kv_type) * n_seq > avail / 2) n_ctx /= 2;
    if (n_ctx != c.n_ctx_train) {
        note = strprintf("context size reduced from %lld to %lld tokens to fit the KV cache in available memory",
                         static_cast<long long>(c.n_ctx_train), static_cast<long long>(n_ctx));
    }
    return n_ctx;
}

InferenceContext::InferenceContext(std::shared_ptr<const LoadedModel> model, const ContextOptions& options)
    : model_(std::move(model)),
      n_ctx_(choose_context_size(*model_, options, note_)),
      pool_(resolve_threads(options.n_threads)),
      forward_(model_->config, model_->weights, std::min(std::max<int64_t>(options.n_batch, 1), n_ctx_ * options.n_seq),
               n_ctx_, pool_.size()),
      logits_(static_cast<size_t>(model_->config.n_vocab)) {
    if (options.n_batch <= 0) fail("batch size must be positive");
    for (int s = 0; s < options.n_seq; ++s) {
        Sequence& seq = sequences_.emplace_back();
        seq.cache = std::make_unique<KvCache>(model_->config, n_ctx_, options.kv_type);
        seq.history.reserve(static_cast<size_t>(n_ctx_));
    }
    const auto nb = static_cast<size_t>(forward_.n_batch());
    positions_.reserve(nb);
    caches_.reserve(nb);
    tokens_.reserve(nb);
    logits_for_.reserve(nb);
}

size_t InferenceContext::check_seq(int seq) const {
    if (seq < 0 || seq >= n_seq()) fail(strprintf("sequence %d does not exist (the context has %d)", seq, n_seq()));
    return static_cast<size_t>(seq);
}

void InferenceContext::check_fits(std::span<const int32_t> tokens, int seq) const {
    if (tokens.empty()) fail("no tokens to evaluate");
    if (n_past(seq) + static_cast<int64_t>(tokens.size()) > n_ctx()) {
        fail(strprintf("context is full: %lld tokens do not fit after %lld tokens in a context of %lld",
                       static_cast<long long>(tokens.size()), static_cast<long long>(n_past(seq)),
                       static_cast<long long>(n_ctx())));
    }
    for (int32_t id : tokens) {
        if (id < 0 || id >= n_vocab()) {
            fail(strprintf("token id %d is out of range (the model has %lld tokens)", id,
                           static_cast<long long>(n_vocab())));
        }
    }
}

void InferenceContext::eval_piece(std::span<const int32_t> piece, int seq, bool all_logits, std::span<float> out) {
    Sequence& s = sequences_[static_cast<size_t>(seq)];
    positions_.clear();
    caches_.clear();
    logits_for_.clear();
    for (size_t i = 0; i < piece.size(); ++i) {
        positions_.push_back(static_cast<int64_t>(s.history.size() + i));
        caches_.push_back(s.cache.get());
        if (all_logits) logits_for_.push_back(static_cast<int32_t>(i));
    }
    if (!all_logits) logits_for_.push_back(static_cast<int32_t>(piece.size() - 1));
    forward_.eval({piece, positions_, caches_, logits_for_}, pool_, out);
    s.history.insert(s.history.end(), piece.begin(), piece.end());
}

void InferenceContext::decode(std::span<const int32_t> tokens, int seq) {
    check_seq(seq);
    check_fits(tokens, seq);
    const auto nb = static_cast<size_t>(forward_.n_batch());
    for (size_t i = 0; i < tokens.size(); i += nb) {
        eval_piece(tokens.subspan(i, std::min(tokens.size() - i, nb)), seq, false, {logits_.data(), logits_.size()});
    }
}

void InferenceContext::decode_all(std::span<const int32_t> tokens, std::span<float> out, int seq) {
    check_seq(seq);
    check_fits(tokens, seq);
    const auto nb = static_cast<size_t>(forward_.n_batch());
    const auto nv = static_cast<size_t>(n_vocab());
    if (out.size() < tokens.size() * nv) fail("logits buffer too small");
    for (size_t i = 0; i < tokens.size(); i += nb) {
        eval_piece(tokens.subspan(i, std::min(tokens.size() - i, nb)), seq, true, out.subspan(i * nv));
    }
    std::copy_n(out.begin() + static_cast<long>((tokens.size() - 1) * nv), nv, logits_.begin());
}

void InferenceContext::decode_batch(std::span<const BatchToken> batch, std::span<float> out) {
    if (batch.empty()) fail("no tokens to evaluate");
    if (static_cast<int64_t>(batch.size()) > n_batch()) {
        fail(strprintf("%zu tokens exceed the batch size %lld", batch.size(), static_cast<long long>(n_batch())));
    }
    positions_.clear();
    caches_.clear();
    tokens_.clear();
    logits_for_.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
        const BatchToken& b = batch[i];
        Sequence& s = sequences_[check_seq(b.seq)];
        // Position: after the history and the sequence's earlier tokens in this batch.
        const auto earlier = static_cast<int64_t>(std::count(caches_.begin(), caches_.end(), s.cache.get()));
        const int64_t pos = static_cast<int64_t>(s.history.size()) + earlier;
        if (pos >= n_ctx()) {
            fail(strprintf("context is full: sequence %d already holds %lld tokens of %lld", b.seq,
                           static_cast<long long>(pos), static_cast<long long>(n_ctx())));
        }
        positions_.push_back(pos);
        caches_.push_back(s.cache.get());
        tokens_.push_back(b.token);
        if (b.logits) logits_for_.push_back(static_cast<int32_t>(i));
    }
    forward_.eval({tokens_, positions_, caches_, logits_for_}, pool_, out);
    for (const BatchToken& b : batch) sequences_[static_cast<size_t>(b.seq)].history.push_back(b.token);
}

void InferenceContext::truncate(int64_t n, int seq) {
    std::vector<int32_t>& h = sequences_[check_seq(seq)].history;
    if (n < 0 || n > static_cast<int64_t>(h.size())) fail("truncate: position out of range");
    h.resize(static_cast<size_t>(n));
}

}  // namespace bitnet
