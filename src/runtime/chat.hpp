#pragma once
// Multi-turn chat in the model's chat format (runtime/chat_format.hpp), e.g. the one
// BitNet-b1.58-2B-4T was trained with (the template stored in the official GGUF is a placeholder
// and is ignored):
//   <|begin_of_text|>System: {system}<|eot_id|>User: {user}<|eot_id|>Assistant: {reply}<|eot_id|>User: ...
// or Llama-3's headers, ChatML, Falcon3's <|user|> turns. Earlier turns stay in the KV cache; each
// turn evaluates only its new tokens.
#include <string>
#include <vector>

#include "runtime/chat_format.hpp"
#include "runtime/generate.hpp"

namespace bitnet {

class ChatSession {
public:
    ChatSession(InferenceContext& ctx, std::string system_prompt);

    // Adds a user message and generates the assistant's reply (streamed to on_text).
    GenerateResult reply(const std::string& user_message, const GenerateParams& params, Sampler& sampler,
                         const TextCallback& on_text);
    // Forgets the conversation (the system prompt stays).
    void reset();

    // Tokens that open the next user turn after `history` (what reply() evaluates first).
    std::vector<int32_t> turn_tokens(const std::string& user_message) const;

private:
    InferenceContext& ctx_;
    std::string system_;
    ChatFormat format_;
    bool closed_ = true;  // the last assistant turn already ended with its end token in the cache
};

// Role header + content tokenized as plain text (so user text can never inject special
// tokens), e.g. "User: Hi" -> [1502, 25, 21694], as HF renders and tokenizes the template.
std::vector<int32_t> chat_message_tokens(const Tokenizer& tok, const std::string& role, const std::string& content);

}  // namespace bitnet
