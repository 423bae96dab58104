#include "server/response.hpp"

#include <chrono>
#include <random>

namespace bitnet::server {

using nlohmann::json;

ResponseMeta new_response_meta(bool chat, const std::string& model) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string id = chat ? "chatcmpl-" : "cmpl-";
    for (int i = 0; i < 24; ++i) id += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return {id, std::chrono::duration_cast<std::chrono::seconds>(now).count(), model, chat};
}

json usage_json(const Usage& u) {
    return {{"prompt_tokens", u.prompt_tokens},
            {"completion_tokens", u.completion_tokens},
            {"total_tokens", u.prompt_tokens + u.completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

namespace {


json chat_entry(const TokenLogprob& t) {
    return {{"token", t.bytes}, {"logprob", t.logprob}, {"bytes", bytes_array(t.bytes)}};
}

json timings_json(const Usage& u) {
    auto per_second = [](int64_t n, double ms) { return ms > 0.0 ? 1e3 * static_cast<double>(n) / ms : 0.0; };
    const int64_t evaluated = u.prompt_tokens - u.cached_tokens;
    return {{"cache_n", u.cached_tokens},
            {"prompt_n", evaluated},
            {"prompt_ms", u.prompt_ms},
            {"prompt_per_second", per_second(evaluated, u.prompt_ms)},
            {"predicted_n", u.completion_tokens},
            {"predicted_ms", u.generation_ms},
            {"predicted_per_second", per_second(u.completion_tokens - 1, u.generation_ms)}};
}

}  // namespace

json logprobs_json(bool chat, const std::vector<TokenInfo>& tokens) {
    if (chat) {
        json content = json::array();
        for (const TokenInfo& t : tokens) {
            json e = chat_entry(t.token);
            e["top_logprobs"] = json::array();
            for (const TokenLogprob& alt : t.top) e["top_logprobs"].push_back(chat_entry(alt));
            content.push_back(std::move(e));
        }
        return {{"content", std::move(content)}};
    }
    json out = {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()},
                {"text_offset", json::array()}};
    for (const TokenInfo& t : tokens) {
        out["tokens"].push_back(t.token.bytes);
        out["token_logprobs"].push_back(t.token.logprob);
        json top = json::object();
        for (const TokenLogprob& alt : t.top) top[alt.bytes] = alt.logprob;
        out["top_logprobs"].push_back(std::move(top));
        out["text_offset"].push_back(t.text_offset);
    }
    return out;
}

json completion_json(const ResponseMeta& meta, const std::string& text, FinishReason finish, const Usage& usage,
                     const json& logprobs) {
    json choice = {{"index", 0}, {"logprobs", logprobs}, {"finish_reason", finish_reason_name(finish)}};
    if (meta.chat) {
        choice["message"] = {{"role", "assistant"}, {"content", text}};
    } else {
        choice["text"] = text;
    }
    return {{"id", meta.id},
            {"object", meta.chat ? "chat.completion" : "text_completion"},
            {"created", meta.created},
            {"model", meta.model},
            {"system_fingerprint", "bitnet"},
            {"choices", json::array({std::move(choice)})},
            {"usage", usage_json(usage)},
            {"timings", timings_json(usage)}};
}

json chunk_json(const ResponseMeta& meta, const std::string* text, bool first, const char* finish, const json& logprobs,
                bool include_usage) {
    json choice = {{"index", 0}, {"logprobs", logprobs}, {"finish_reason", finish ? json(finish) : json()}};
    if (meta.chat) {
        json delta = json::object();
        if (first) delta["role"] = "assistant";
        if (text != nullptr) delta["content"] = *text;
        choice["delta"] = std::move(delta);
    } else {
        choice["text"] = text != nullptr ? *text : std::string();
    }
    json chunk = {{"id", meta.id},
                  {"object", meta.chat ? "chat.completion.chunk" : "text_completion"},
                  {"created", meta.created},
                  {"model", meta.model},
                  {"system_fingerprint", "bitnet"},
                  {"choices", json::array({std::move(choice)})}};
    if (include_usage) chunk["usage"] = nullptr;
    return chunk;
}

json usage_chunk_json(const ResponseMeta& meta, const Usage& usage) {
    return {{"id", meta.id},
            {"object", meta.chat ? "chat.completion.chunk" : "text_completion"},
            {"created", meta.created},
            {"model", meta.model},
            {"system_fingerprint", "bitnet"},
            {"choices", json::array()},
            {"usage", usage_json(usage)},
            {"timings", timings_json(usage)}};
}

json bytes_array(const std::string& s) {
    json a = json::array();
    for (unsigned char c : s) a.push_back(static_cast<int>(c));
    return a;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace bitnet::server
