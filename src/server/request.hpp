#pragma once
// Parses and validates the bodies of POST /v1/chat/completions and /v1/completions into what the
// scheduler runs. Every problem is an ApiError(400) naming the field; fields this server does
// not know are ignored (clients send many).
#include <string>
#include <vector>

#include "runtime/chat_format.hpp"
#include "server/scheduler.hpp"

namespace bitnet::server {

struct CompletionRequest {
    bool chat = false;
    std::vector<ChatMessage> messages;  // chat
    std::string prompt;                 // completions: text, or
    std::vector<int32_t> prompt_tokens; // completions: token ids (checked against the vocabulary later)
    GenerationRequest generation;       // everything but the prompt tokens
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage
    bool logprobs = false;
    int top_logprobs = 0;
    bool seed_given = false;
};

// `body` is the raw request body. Throws ApiError.
CompletionRequest parse_chat_request(const std::string& body);
CompletionRequest parse_completion_request(const std::string& body);

}  // namespace bitnet::server
