#include "server/scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.hpp"

namespace bitnet::server {

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
    const size_t n = std::min(a.size(), b.size());
    size_t i = 0;
    while (i < n && a[i] == b[i]) ++i;
    return i;
}

}  // namespace

const char* finish_reason_name(FinishReason reason) {
    switch (reason) {
        case FinishReason::stop: return "stop";
        case FinishReason::length: return "length";
        case FinishReason::cancelled: return "cancelled";
    }
    return "?";
}

struct Scheduler::Slot {
    int id = 0;
    bool busy = false;
    Pending job;
    size_t n_done = 0;  // prompt tokens in the cache
    int32_t next = -1;  // sampled, to be evaluated at the next step (-1 while the prompt runs)
    std::optional<Sampler> sampler;
    std::optional<TokenStreamDecoder> decoder;
    StopFilter filter;
    std::vector<TokenInfo> infos;  // log-probabilities of tokens whose text was not sent yet
    size_t decoded_bytes = 0;      // reply text out of the decoder (before the stop filter)
    size_t sent_bytes = 0;         // reply text sent
    bool stop_string_hit = false;
    Usage usage;
    Clock::time_point started, first_token;
};

Scheduler::Scheduler(InferenceContext& ctx, const SchedulerOptions& options) : ctx_(ctx), options_(options) {
    if (options.n_slots < 1 || options.n_slots != ctx.n_seq()) {
        fail(strprintf("scheduler: %d slots need a context with as many sequences (it has %d)", options.n_slots,
                       ctx.n_seq()));
    }
    for (int i = 0; i < options.n_slots; ++i) {
        auto& s = slots_.emplace_back(std::make_unique<Slot>());
        s->id = i;
    }
    batch_.reserve(static_cast<size_t>(ctx.n_batch()));
    logit_owner_.reserve(slots_.size());
    logits_.resize(slots_.size() * static_cast<size_t>(ctx.n_vocab()));
    const Tokenizer& tok = ctx.model().tokenizer;
    for (int32_t id = 0; id < tok.n_vocab(); ++id) {
        if (tok.is_eog(id)) eog_.push_back(id);
    }
    stats_.kv_tokens_capacity = ctx.n_ctx() * ctx.n_seq();
}

Scheduler::~Scheduler() { shutdown(); }

std::shared_ptr<Channel> Scheduler::submit(GenerationRequest request) {
    if (request.prompt.empty()) fail("the prompt is empty");
    if (static_cast<int64_t>(request.prompt.size()) >= ctx_.n_ctx()) {
        fail(strprintf("the prompt has %zu tokens, but a request's context holds %lld (prompt and reply together)",
                       request.prompt.size(), static_cast<long long>(ctx_.n_ctx())));
    }
    for (int32_t id : request.prompt) ctx_.model().tokenizer.check_id(id);
    validate(request.sampling);
    auto channel = std::make_shared<Channel>();
    {
        std::lock_guard lock(mu_);
        if (stopping_) throw QueueFull("the server is shutting down");
        // Requests that a free slot takes at the next step are not waiting.
        const int64_t free_slots = static_cast<int64_t>(slots_.size()) - stats_.requests_processing;
        if (static_cast<int64_t>(queue_.size()) >= options_.max_queue + std::max<int64_t>(free_slots, 0)) {
            throw QueueFull(strprintf("the server is busy: %zu requests are already waiting", queue_.size()));
        }
        queue_.push_back({std::move(request), channel});
        stats_.requests_total++;
        stats_.requests_waiting = static_cast<int64_t>(queue_.size());
    }
    cv_.notify_one();
    return channel;
}

SchedulerStats Scheduler::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

void Scheduler::admit() {
    std::lock_guard lock(mu_);
    std::erase_if(queue_, [](const Pending& p) { return p.channel->cancelled(); });
    while (!queue_.empty()) {
        Slot* best = nullptr;
        size_t best_prefix = 0;
        for (auto& s : slots_) {
            if (s->busy) continue;
            const size_t prefix = common_prefix(ctx_.history(s->id), queue_.front().request.prompt);
            if (best == nullptr || prefix > best_prefix) {
                best = s.get();
                best_prefix = prefix;
            }
        }
        if (best == nullptr) break;
        assign(*best, std::move(queue_.front()));
        queue_.pop_front();
    }
    stats_.requests_waiting = static_cast<int64_t>(queue_.size());
}

// Called with mu_ held.
void Scheduler::assign(Slot& slot, Pending&& pending) {
    const std::vector<int32_t>& prompt = pending.request.prompt;
    // Keep the cached prefix, but evaluate at least the last prompt token: its logits start the reply.
    const size_t keep = std::min(common_prefix(ctx_.history(slot.id), prompt), prompt.size() - 1);
    ctx_.truncate(static_cast<int64_t>(keep), slot.id);
    slot.n_done = keep;
    slot.next = -1;
    slot.usage = Usage{};
    slot.usage.prompt_tokens = static_cast<int64_t>(prompt.size());
    slot.usage.cached_tokens = static_cast<int64_t>(keep);
    if (keep > 0) {
        stats_.prompt_cache_hits++;
        stats_.prompt_cache_hit_tokens += static_cast<int64_t>(keep);
    }
    slot.sampler.emplace(pending.request.sampling, static_cast<int32_t>(ctx_.n_vocab()));
    slot.decoder.emplace(ctx_.model().tokenizer, /*skip_special=*/true);
    slot.filter = StopFilter(pending.request.stop);
    slot.infos.clear();
    slot.decoded_bytes = 0;
    slot.sent_bytes = 0;
    slot.stop_string_hit = false;
    slot.job = std::move(pending);
    slot.busy = true;
    slot.started = Clock::now();
    stats_.requests_processing++;
}

// Sends text with the log-probabilities of the tokens whose text has begun (all of them with
// `all_tokens`), so the tokens of a reply always spell its text: a token held back by the stop
// filter is sent with its text, or dropped with it when a stop string cuts the reply.
void Scheduler::emit(Slot& slot, std::string text, bool all_tokens) {
    slot.sent_bytes += text.size();
    size_t n = 0;
    while (n < slot.infos.size() && (all_tokens || slot.infos[n].text_offset < slot.sent_bytes)) ++n;
    if (text.empty() && n == 0) return;
    Event e;
    e.kind = Event::Kind::text;
    e.text = std::move(text);
    e.tokens.assign(std::make_move_iterator(slot.infos.begin()), std::make_move_iterator(slot.infos.begin() + static_cast<long>(n)));
    slot.infos.erase(slot.infos.begin(), slot.infos.begin() + static_cast<long>(n));
    slot.job.channel->push(std::move(e));
}

void Scheduler::finish(Slot& slot, FinishReason reason) {
    if (reason != FinishReason::cancelled && !slot.stop_string_hit) {
        bool stopped = false;
        std::string tail = slot.filter.push(slot.decoder->flush(), stopped);
        if (!stopped) tail += slot.filter.flush();
        emit(slot, std::move(tail), /*all_tokens=*/!stopped);
    }
    if (reason != FinishReason::cancelled) {
        const auto now = Clock::now();
        slot.usage.generation_ms = slot.usage.completion_tokens > 0 ? ms_between(slot.first_token, now) : 0.0;
    }
    Event done;
    done.kind = Event::Kind::done;
    done.finish = reason;
    done.usage = slot.usage;
    slot.job.channel->push(std::move(done));
    slot.job = Pending{};
    slot.infos.clear();
    slot.busy = false;
    std::lock_guard lock(mu_);
    stats_.requests_processing--;
}

TokenInfo Scheduler::token_info(std::span<const float> logits, int32_t id, int top) const {
    const float max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits) sum += std::exp(static_cast<double>(l - max));
    const double log_z = static_cast<double>(max) + std::log(sum);
    const Tokenizer& tok = ctx_.model().tokenizer;
    auto entry = [&](int32_t t) {
        return TokenLogprob{t, tok.token_bytes(t), static_cast<float>(static_cast<double>(logits[static_cast<size_t>(t)]) - log_z)};
    };
    TokenInfo info{entry(id), {}};
    if (top > 0) {
        std::vector<int32_t> ids(logits.size());
        for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
        const auto n = std::min<size_t>(static_cast<size_t>(top), ids.size());
        std::partial_sort(ids.begin(), ids.begin() + static_cast<long>(n), ids.end(), [&](int32_t a, int32_t b) {
            const float la = logits[static_cast<size_t>(a)], lb = logits[static_cast<size_t>(b)];
            return la != lb ? la > lb : a < b;
        });
        for (size_t i = 0; i < n; ++i) info.top.push_back(entry(ids[i]));
    }
    return info;
}

// The slot's latest token was evaluated: sample the next one and stream its text.
void Scheduler::after_logits(Slot& slot, std::span<float> logits) {
    const GenerationRequest& req = slot.job.request;
    if (slot.usage.completion_tokens == 0) {
        slot.first_token = Clock::now();
        slot.usage.prompt_ms = ms_between(slot.started, slot.first_token);
    }
    if (req.ignore_eos) {
        for (int32_t id : eog_) logits[static_cast<size_t>(id)] = -INFINITY;
    }
    const int32_t id = slot.sampler->sample(logits, ctx_.history(slot.id));
    slot.usage.completion_tokens++;
    // The end token is not part of the reply: no text, no log-probability entry.
    if (ctx_.model().tokenizer.is_eog(id)) return finish(slot, FinishReason::stop);
    if (req.top_logprobs >= 0) {
        TokenInfo info = token_info(logits, id, req.top_logprobs);
        info.text_offset = slot.decoded_bytes + slot.decoder->pending_bytes();
        slot.infos.push_back(std::move(info));
    }
    const std::string text = slot.decoder->push(id);
    slot.decoded_bytes += text.size();
    bool stopped = false;
    emit(slot, slot.filter.push(text, stopped), /*all_tokens=*/false);
    if (stopped) {
        slot.stop_string_hit = true;
        return finish(slot, FinishReason::stop);
    }
    if (req.max_tokens >= 0 && slot.usage.completion_tokens >= req.max_tokens) return finish(slot, FinishReason::length);
    if (ctx_.n_past(slot.id) + 1 > ctx_.n_ctx()) return finish(slot, FinishReason::length);
    slot.next = id;
}

bool Scheduler::step() {
    for (auto& s : slots_) {
        if (s->busy && s->job.channel->cancelled()) finish(*s, FinishReason::cancelled);
    }
    admit();
    batch_.clear();
    logit_owner_.clear();
    int64_t budget = ctx_.n_batch(), n_prompt = 0;
    // Decode first: every generating slot advances by one token each step.
    for (auto& s : slots_) {
        if (!s->busy || s->next < 0 || budget == 0) continue;
        batch_.push_back({s->id, s->next, true});
        logit_owner_.push_back(s.get());
        --budget;
    }
    // Then prompt chunks with what is left of the batch, in slot order.
    for (auto& s : slots_) {
        if (!s->busy || s->next >= 0 || budget == 0) continue;
        const std::vector<int32_t>& prompt = s->job.request.prompt;
        const auto chunk = static_cast<size_t>(std::min<int64_t>(budget, static_cast<int64_t>(prompt.size() - s->n_done)));
        for (size_t i = 0; i < chunk; ++i) {
            const bool last = s->n_done + i + 1 == prompt.size();
            batch_.push_back({s->id, prompt[s->n_done + i], last});
            if (last) logit_owner_.push_back(s.get());
        }
        s->n_done += chunk;
        budget -= static_cast<int64_t>(chunk);
        n_prompt += static_cast<int64_t>(chunk);
    }
    if (batch_.empty()) return false;

    const auto t0 = Clock::now();
    try {
        ctx_.decode_batch(batch_, logits_);
    } catch (const std::exception& e) {
        for (auto& s : slots_) {
            if (!s->busy) continue;
            s->job.channel->push({Event::Kind::error, {}, {}, FinishReason::stop, {}, e.what(), 500});
            ctx_.reset(s->id);
            finish(*s, FinishReason::cancelled);
        }
        return true;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto n_vocab = static_cast<size_t>(ctx_.n_vocab());
    for (size_t j = 0; j < logit_owner_.size(); ++j) {
        after_logits(*logit_owner_[j], {logits_.data() + j * n_vocab, n_vocab});
    }
    std::lock_guard lock(mu_);
    const auto n_total = static_cast<double>(batch_.size());
    stats_.prompt_tokens_total += n_prompt;
    stats_.generated_tokens_total += static_cast<int64_t>(logit_owner_.size());
    stats_.prompt_seconds_total += seconds * static_cast<double>(n_prompt) / n_total;
    stats_.generation_seconds_total += seconds * (n_total - static_cast<double>(n_prompt)) / n_total;
    stats_.steps_total++;
    int64_t used = 0;
    for (auto& s : slots_) used += ctx_.n_past(s->id);
    stats_.kv_tokens_used = used;
    return true;
}

void Scheduler::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void Scheduler::run() {
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] {
                return stopping_ || !queue_.empty() ||
                       std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->busy; });
            });
            if (stopping_) return;
        }
        step();
    }
}

void Scheduler::shutdown() {
    {
        std::lock_guard lock(mu_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    for (auto& s : slots_) {
        if (!s->busy) continue;
        s->job.channel->push({Event::Kind::error, {}, {}, FinishReason::stop, {}, "the server is shutting down", 503});
        finish(*s, FinishReason::cancelled);
    }
    std::lock_guard lock(mu_);
    for (Pending& p : queue_) {
        p.channel->push({Event::Kind::error, {}, {}, FinishReason::stop, {}, "the server is shutting down", 503});
    }
    queue_.clear();
    stats_.requests_waiting = 0;
}

}  // namespace bitnet::server
