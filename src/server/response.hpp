#pragma once
// The JSON this server answers with, in the shapes OpenAI clients parse: chat.completion and
// chat.completion.chunk, text_completion (whole and streamed), usage and log-probabilities.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/channel.hpp"

namespace bitnet::server {

// What every object of one response shares.
struct ResponseMeta {
    std::string id;     // "chatcmpl-..." or "cmpl-..."
    int64_t created;    // Unix seconds
    std::string model;  // the served model's id
    bool chat;
};

ResponseMeta new_response_meta(bool chat, const std::string& model);

nlohmann::json usage_json(const Usage& usage);

// The bytes of `s` as a JSON array of integers (for text that may not be UTF-8).
nlohmann::json bytes_array(const std::string& s);

// Log-probabilities of `tokens`: chat's {"content": [...]} form or completions' legacy
// {"tokens", "token_logprobs", "top_logprobs", "text_offset"} form (byte offsets in the reply).
nlohmann::json logprobs_json(bool chat, const std::vector<TokenInfo>& tokens);

// A whole (non-streamed) response.
nlohmann::json completion_json(const ResponseMeta& meta, const std::string& text, FinishReason finish,
                               const Usage& usage, const nlohmann::json& logprobs);

// One streamed chunk: `delta` text (chat: with the role on the first chunk), an optional finish
// reason, optional log-probabilities. include_usage adds "usage": null as OpenAI does.
nlohmann::json chunk_json(const ResponseMeta& meta, const std::string* text, bool first, const char* finish,
                          const nlohmann::json& logprobs, bool include_usage);
// The usage chunk sent last when stream_options.include_usage is set: no choices.
nlohmann::json usage_chunk_json(const ResponseMeta& meta, const Usage& usage);

// JSON text, with invalid UTF-8 (partial characters in token bytes) replaced, never thrown on.
std::string dump(const nlohmann::json& j);

}  // namespace bitnet::server
