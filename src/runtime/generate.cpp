#include "runtime/generate.hpp"

#include <chrono>

#include "core/error.hpp"
#include "runtime/stop_filter.hpp"
#include "tokenizer/stream_decoder.hpp"

namespace bitnet {

const char* stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::end_of_generation: return "eos";
        case StopReason::length: return "length";
        case StopReason::stop_string: return "stop";
        case StopReason::context_full: return "context_full";
        case StopReason::cancelled: return "cancelled";
    }
    return "?";
}

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

void check_prompt_fits(const InferenceContext& ctx, int64_t n_prompt) {
    if (n_prompt == 0 && ctx.n_past() == 0) fail("the prompt is empty (no tokens to start from)");
    if (ctx.n_past() + n_prompt >= ctx.n_ctx()) {
        fail(strprintf("the prompt (%lld tokens) does not fit in the context of %lld tokens%s",
                       static_cast<long long>(ctx.n_past() + n_prompt), static_cast<long long>(ctx.n_ctx()),
                       ctx.n_past() > 0 ? " together with the conversation so far" : " (leave room to generate)"));
    }
}

GenerateResult generate(InferenceContext& ctx, std::span<const int32_t> prompt, const GenerateParams& params,
                        Sampler& sampler, const TextCallback& on_text) {
    GenerateResult r;
    r.n_prompt = static_cast<int64_t>(prompt.size());
    check_prompt_fits(ctx, static_cast<int64_t>(prompt.size()));
    const auto t0 = Clock::now();
    if (!prompt.empty()) ctx.decode(prompt);
    const auto t1 = Clock::now();
    r.prompt_seconds = std::chrono::duration<double>(t1 - t0).count();

    const Tokenizer& tok = ctx.model().tokenizer;
    TokenStreamDecoder decoder(tok, /*skip_special=*/true);
    StopFilter filter(params.stop);
    auto emit = [&](const std::string& text) {
        if (text.empty()) return true;
        r.text += text;
        return on_text ? on_text(text) : true;
    };

    r.reason = StopReason::length;
    for (int32_t i = 0; params.n_predict < 0 || i < params.n_predict; ++i) {
        const int32_t id = sampler.sample(ctx.logits(), ctx.history());
        r.tokens.push_back(id);
        r.last_evaluated = false;
        if (tok.is_eog(id)) {
            r.reason = StopReason::end_of_generation;
            break;
        }
        bool stopped = false;
        const std::string text = filter.push(decoder.push(id), stopped);
        if (!emit(text)) {
            r.reason = StopReason::cancelled;
            break;
        }
        if (stopped) {
            r.reason = StopReason::stop_string;
            break;
        }
        if (ctx.n_past() + 1 > ctx.n_ctx()) {
            r.reason = StopReason::context_full;
            break;
        }
        ctx.decode(std::span<const int32_t>(&id, 1));
        r.last_evaluated = true;
    }
    if (r.reason != StopReason::stop_string && r.reason != StopReason::cancelled) {
        bool stopped = false;
        std::string tail = filter.push(decoder.flush(), stopped);
        if (!stopped) tail += filter.flush();
        emit(tail);
    }
    r.generate_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
    return r;
}

}  // namespace bitnet
