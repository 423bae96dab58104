#include "runtime/chat_format.hpp"

#include "core/error.hpp"
#include "runtime/chat.hpp"
#include "runtime/loaded_model.hpp"

namespace bitnet {

const char* chat_format_name(ChatFormat format) {
    switch (format) {
        case ChatFormat::bitnet: return "bitnet";
        case ChatFormat::llama3: return "llama3";
        case ChatFormat::chatml: return "chatml";
        case ChatFormat::falcon3: return "falcon3";
    }
    return "?";
}

ChatFormat chat_format_for(const LoadedModel& model) {
    const std::string& arch = model.config.arch_name;
    if (arch == "bitnet-b1.58" || arch == "bitnet-25") return ChatFormat::bitnet;
    const Tokenizer& tok = model.tokenizer;
    if (tok.find_special("<|im_start|>") && tok.find_special("<|im_end|>")) return ChatFormat::chatml;
    if (tok.find_special("<|start_header_id|>") && tok.find_special("<|end_header_id|>") && tok.eot() >= 0) {
        return ChatFormat::llama3;
    }
    if (tok.find_special("<|user|>") && tok.find_special("<|assistant|>") && tok.eos() >= 0) return ChatFormat::falcon3;
    return ChatFormat::bitnet;
}

namespace {

int32_t special(const Tokenizer& tok, const char* name) {
    if (auto id = tok.find_special(name)) return *id;
    fail(strprintf("the vocabulary has no %s token for this chat format", name));
}

int32_t end_of_turn(const Tokenizer& tok) {
    if (tok.eot() >= 0) return tok.eot();
    if (tok.eos() >= 0) return tok.eos();
    fail("the model's vocabulary has no end-of-turn token for chat");
}

// "system" -> "System" for the BitNet format's role headers.
std::string title_case(const std::string& role) {
    std::string r = role;
    if (!r.empty() && r[0] >= 'a' && r[0] <= 'z') r[0] = static_cast<char>(r[0] - 'a' + 'A');
    return r;
}

void append(std::vector<int32_t>& out, const std::vector<int32_t>& v) { out.insert(out.end(), v.begin(), v.end()); }

}  // namespace

std::vector<int32_t> render_chat(const Tokenizer& tok, ChatFormat format, const std::vector<ChatMessage>& messages) {
    std::vector<int32_t> out;
    const bool bos_always = format == ChatFormat::bitnet || format == ChatFormat::llama3;
    if (tok.bos() >= 0 && (bos_always || tok.add_bos_default())) out.push_back(tok.bos());
    for (const ChatMessage& m : messages) {
        switch (format) {
            case ChatFormat::bitnet:
                append(out, chat_message_tokens(tok, title_case(m.role), m.content));
                out.push_back(end_of_turn(tok));
                break;
            case ChatFormat::llama3:
                out.push_back(special(tok, "<|start_header_id|>"));
                append(out, tok.encode(m.role, false, false));
                out.push_back(special(tok, "<|end_header_id|>"));
                append(out, tok.encode("\n\n" + m.content, false, false));
                out.push_back(special(tok, "<|eot_id|>"));
                break;
            case ChatFormat::chatml:
                out.push_back(special(tok, "<|im_start|>"));
                append(out, tok.encode(m.role + "\n" + m.content, false, false));
                out.push_back(special(tok, "<|im_end|>"));
                append(out, tok.encode("\n", false, false));
                break;
            case ChatFormat::falcon3:  // <|role|>\ncontent\n; a reply ends with EOS then \n
                out.push_back(special(tok, ("<|" + m.role + "|>").c_str()));
                append(out, tok.encode("\n" + m.content, false, false));
                if (m.role == "assistant") out.push_back(tok.eos());
                append(out, tok.encode("\n", false, false));
                break;
        }
    }
    switch (format) {
        case ChatFormat::bitnet: append(out, tok.encode("Assistant: ", false, false)); break;
        case ChatFormat::llama3:
            out.push_back(special(tok, "<|start_header_id|>"));
            append(out, tok.encode("assistant", false, false));
            out.push_back(special(tok, "<|end_header_id|>"));
            append(out, tok.encode("\n\n", false, false));
            break;
        case ChatFormat::chatml:
            out.push_back(special(tok, "<|im_start|>"));
            append(out, tok.encode("assistant\n", false, false));
            break;
        case ChatFormat::falcon3:
            out.push_back(special(tok, "<|assistant|>"));
            append(out, tok.encode("\n", false, false));
            break;
    }
    return out;
}

int32_t chat_end_token(const Tokenizer& tok, ChatFormat format) {
    switch (format) {
        case ChatFormat::llama3: return special(tok, "<|eot_id|>");
        case ChatFormat::chatml: return special(tok, "<|im_end|>");
        case ChatFormat::falcon3:
            if (tok.eos() < 0) fail("the vocabulary has no end-of-sequence token for the falcon3 chat format");
            return tok.eos();
        case ChatFormat::bitnet: break;
    }
    return end_of_turn(tok);
}

std::vector<int32_t> chat_after_end(const Tokenizer& tok, ChatFormat format) {
    if (format == ChatFormat::chatml || format == ChatFormat::falcon3) return tok.encode("\n", false, false);
    return {};
}

}  // namespace bitnet
