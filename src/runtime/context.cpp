#include "runtime/context.hpp"

#include <unistd.h>

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

}  // namespace

int64_t choose_context_size(const LoadedModel& model, const ContextOptions& options, std::string& note) {
    const ModelConfig& c = model.config;
    if (options.n_ctx < 0) fail(strprintf("context size %lld must be positive", static_cast<long long>(options.n_ctx)));
    if (options.n_ctx > 0) return options.n_ctx;
    int64_t n_ctx = c.n_ctx_train;
    const size_t avail = available_memory();
    // Leave half of the available memory for everything else.
    while (avail > 0 && n_ctx > 256 && KvCache::bytes_needed(c, n_ctx, options.kv_type) > avail / 2) n_ctx /= 2;
    if (n_ctx != c.n_ctx_train) {
        note = strprintf("context size reduced from %lld to %lld tokens to fit the KV cache in available memory",
                         static_cast<long long>(c.n_ctx_train), static_cast<long long>(n_ctx));
    }
    return n_ctx;
}

InferenceContext::InferenceContext(std::shared_ptr<const LoadedModel> model, const ContextOptions& options)
    : model_(std::move(model)),
      pool_(resolve_threads(options.n_threads)),
      cache_(model_->config, choose_context_size(*model_, options, note_), options.kv_type),
      forward_(model_->config, model_->weights, std::min(options.n_batch, cache_.n_ctx())),
      logits_(static_cast<size_t>(model_->config.n_vocab)) {
    if (options.n_batch <= 0) fail("batch size must be positive");
    history_.reserve(static_cast<size_t>(cache_.n_ctx()));
}

void InferenceContext::check_fits(std::span<const int32_t> tokens) const {
    if (tokens.empty()) fail("no tokens to evaluate");
    if (n_past() + static_cast<int64_t>(tokens.size()) > n_ctx()) {
        fail(strprintf("context is full: %lld tokens do not fit after %lld tokens in a context of %lld",
                       static_cast<long long>(tokens.size()), static_cast<long long>(n_past()),
                       static_cast<long long>(n_ctx())));
    }
    for (int32_t id : tokens) {
        if (id < 0 || id >= n_vocab()) {
            fail(strprintf("token id %d is out of range (the model has %lld tokens)", id,
                           static_cast<long long>(n_vocab())));
        }
    }
}

void InferenceContext::decode(std::span<const int32_t> tokens) {
    check_fits(tokens);
    const int64_t nb = forward_.n_batch();
    for (size_t i = 0; i < tokens.size(); i += static_cast<size_t>(nb)) {
        const auto piece = tokens.subspan(i, std::min(tokens.size() - i, static_cast<size_t>(nb)));
        forward_.eval(piece, n_past(), cache_, pool_, false, {logits_.data(), logits_.size()});
        history_.insert(history_.end(), piece.begin(), piece.end());
    }
}

void InferenceContext::decode_all(std::span<const int32_t> tokens, std::span<float> out) {
    check_fits(tokens);
    const int64_t nb = forward_.n_batch();
    const auto nv = static_cast<size_t>(n_vocab());
    if (out.size() < tokens.size() * nv) fail("logits buffer too small");
    for (size_t i = 0; i < tokens.size(); i += static_cast<size_t>(nb)) {
        const auto piece = tokens.subspan(i, std::min(tokens.size() - i, static_cast<size_t>(nb)));
        forward_.eval(piece, n_past(), cache_, pool_, true, out.subspan(i * nv));
        history_.insert(history_.end(), piece.begin(), piece.end());
    }
    std::copy_n(out.begin() + static_cast<long>((tokens.size() - 1) * nv), nv, logits_.begin());
}

void InferenceContext::truncate(int64_t n) {
    if (n < 0 || n > n_past()) fail("truncate: position out of range");
    history_.resize(static_cast<size_t>(n));
}

}  // namespace bitnet
