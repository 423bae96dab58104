#include "runtime/chat.hpp"

#include "core/error.hpp"

namespace bitnet {

namespace {

std::string strip(const std::string& s) {
    const char* ws = " \t\r\n\f\v";
    const size_t b = s.find_first_not_of(ws);
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

int32_t end_of_turn(const Tokenizer& tok) {
    if (tok.eot() >= 0) return tok.eot();
    if (tok.eos() >= 0) return tok.eos();
    fail("the model's vocabulary has no end-of-turn token (<|eot_id|>) for chat");
}

}  // namespace

std::vector<int32_t> chat_message_tokens(const Tokenizer& tok, const std::string& role, const std::string& content) {
    return tok.encode(role + ": " + strip(content), false, false);
}

ChatSession::ChatSession(InferenceContext& ctx, std::string system_prompt) : ctx_(ctx), system_(std::move(system_prompt)) {}

void ChatSession::reset() {
    ctx_.reset();
    closed_ = true;
}

std::vector<int32_t> ChatSession::turn_tokens(const std::string& user_message) const {
    const Tokenizer& tok = ctx_.model().tokenizer;
    const int32_t eot = end_of_turn(tok);
    std::vector<int32_t> out;
    auto append = [&](const std::vector<int32_t>& v) { out.insert(out.end(), v.begin(), v.end()); };
    if (ctx_.n_past() == 0) {
        if (tok.bos() >= 0) out.push_back(tok.bos());
        if (!strip(system_).empty()) {
            append(chat_message_tokens(tok, "System", system_));
            out.push_back(eot);
        }
    } else if (!closed_) {
        out.push_back(eot);  // the previous reply stopped without its end-of-turn token
    }
    append(chat_message_tokens(tok, "User", user_message));
    out.push_back(eot);
    append(tok.encode("Assistant: ", false, false));
    return out;
}

GenerateResult ChatSession::reply(const std::string& user_message, const GenerateParams& params, Sampler& sampler,
                                  const TextCallback& on_text) {
    const std::vector<int32_t> prompt = turn_tokens(user_message);
    GenerateResult r = generate(ctx_, prompt, params, sampler, on_text);
    const int32_t eot = end_of_turn(ctx_.model().tokenizer);
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
