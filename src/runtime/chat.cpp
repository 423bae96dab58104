#include "runtime/chat.hpp"

#include "core/error.hpp"
#include "runtime/context.hpp"
#include "runtime/loaded_model.hpp"

namespace bitnet {

namespace {

std::string strip(const std::string& s) {
    const char* ws = " \t\r\n\f\v";
    const size_t b = s.find_first_not_of(ws);
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

std::vector<int32_t> chat_message_tokens(const Tokenizer& tok, const std::string& role, const std::string& content) {
    return tok.encode(role + ": " + strip(content), false, false);
}

ChatSession::ChatSession(InferenceContext& ctx, std::string system_prompt)
    : ctx_(ctx), system_(std::move(system_prompt)), format_(chat_format_for(ctx.model())) {}

void ChatSession::reset() {
    ctx_.reset();
    closed_ = true;
}

std::vector<int32_t> ChatSession::turn_tokens(const std::string& user_message) const {
    const Tokenizer& tok = ctx_.model().tokenizer;
    std::vector<int32_t> out;
    auto append = [&](const std::vector<int32_t>& v) { out.insert(out.end(), v.begin(), v.end()); };
    std::vector<ChatMessage> messages;
    if (ctx_.n_past() == 0) {
        if (!strip(system_).empty()) messages.push_back({"system", system_});
    } else {
        if (!closed_) out.push_back(chat_end_token(tok, format_));  // the reply stopped before its end token
        append(chat_after_end(tok, format_));
    }
    messages.push_back({"user", user_message});
    std::vector<int32_t> turn = render_chat(tok, format_, messages);
    if (ctx_.n_past() > 0 && !turn.empty() && turn.front() == tok.bos()) turn.erase(turn.begin());
    append(turn);
    return out;
}

GenerateResult ChatSession::reply(const std::string& user_message, const GenerateParams& params, Sampler& sampler,
                                  const TextCallback& on_text) {
    const std::vector<int32_t> prompt = turn_tokens(user_message);
    GenerateResult r = generate(ctx_, prompt, params, sampler, on_text);
    const int32_t eot = chat_end_token(ctx_.model().tokenizer, format_);
    // Close the assistant turn in the cache: evaluate the end token now if there is room (it was
    // sampled but not evaluated), otherwise remember to prepend it to the next turn.
    closed_ = false;
    if (!r.last_evaluated && !r.tokens.empty() && r.tokens.back() == eot && ctx_.n_past() + 1 <= ctx_.n_ctx()) {
        ctx_.decode(std::span<const int32_t>(&eot, 1));
        closed_ = true;
    }
    return r;
}

}  // namespace bitnet
