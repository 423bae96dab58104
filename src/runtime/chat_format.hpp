#pragma once
// Renders a whole conversation (an OpenAI `messages` array) into prompt tokens in the format the
// model was trained with: BitNet-b1.58's own ("User: …<|eot_id|>Assistant: "), Llama-3's header
// tokens, ChatML, or Falcon3's <|user|> format, chosen from the architecture and the vocabulary. Message text is tokenized
// as plain text, so a user can never inject a special token. A conversation that resends its
// history renders to the same tokens as before plus the new turn, which the server's prompt
// cache reuses.
#include <cstdint>
#include <string>
#include <vector>

namespace bitnet {

struct LoadedModel;
class Tokenizer;

enum class ChatFormat { bitnet, llama3, chatml, falcon3 };
const char* chat_format_name(ChatFormat format);

struct ChatMessage {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
};

// bitnet-b1.58 models use their trained format (whatever template the file carries: the official
// one is a placeholder); other models ChatML where the vocabulary has <|im_start|>, Llama-3 where
// it has <|start_header_id|>, Falcon3 where it has <|user|> and <|assistant|>, else the BitNet format.
ChatFormat chat_format_for(const LoadedModel& model);

// BOS (if the model uses one), every message, then the opening of the assistant's turn.
std::vector<int32_t> render_chat(const Tokenizer& tok, ChatFormat format, const std::vector<ChatMessage>& messages);

// The token that ends a message (and a reply) in this format.
int32_t chat_end_token(const Tokenizer& tok, ChatFormat format);
// What follows that token before the next message ("\n" in ChatML and Falcon3), as tokens.
std::vector<int32_t> chat_after_end(const Tokenizer& tok, ChatFormat format);

}  // namespace bitnet
