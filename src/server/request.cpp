#include "server/request.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "core/error.hpp"
#include "server/api_error.hpp"

namespace bitnet::server {

namespace {

using nlohmann::json;

constexpr size_t kMaxStops = 16;
constexpr int kMaxTopLogprobs = 20;

[[noreturn]] void bad(const std::string& message) { throw ApiError(400, message); }

json parse_body(const std::string& body) {
    json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) bad("the request body is not valid JSON");
    if (!j.is_object()) bad("the request body must be a JSON object");
    return j;
}

// The field if present and not null.
const json* field(const json& j, const char* name) {
    const auto it = j.find(name);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& j, const char* name, double lo, double hi) {
    const json* v = field(j, name);
    if (v == nullptr) return std::numeric_limits<double>::quiet_NaN();
    if (!v->is_number()) bad(strprintf("'%s' must be a number", name));
    const double x = v->get<double>();
    if (!(x >= lo && x <= hi)) bad(strprintf("'%s' must be between %g and %g (got %g)", name, lo, hi, x));
    return x;
}

bool integer(const json& j, const char* name, int64_t lo, int64_t hi, int64_t& out) {
    const json* v = field(j, name);
    if (v == nullptr) return false;
    if (!v->is_number_integer()) bad(strprintf("'%s' must be an integer", name));
    const auto x = v->get<int64_t>();
    if (x < lo || x > hi) {
        bad(strprintf("'%s' must be between %lld and %lld (got %lld)", name, static_cast<long long>(lo),
                      static_cast<long long>(hi), static_cast<long long>(x)));
    }
    out = x;
    return true;
}

bool boolean(const json& j, const char* name, bool fallback) {
    const json* v = field(j, name);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) bad(strprintf("'%s' must be true or false", name));
    return v->get<bool>();
}

void set_if(float& out, double value) {
    if (!std::isnan(value)) out = static_cast<float>(value);
}

std::vector<std::string> stop_strings(const json& j) {
    const json* v = field(j, "stop");
    if (v == nullptr) return {};
    if (v->is_string()) return {v->get<std::string>()};
    if (!v->is_array()) bad("'stop' must be a string or an array of strings");
    if (v->size() > kMaxStops) bad(strprintf("'stop' has %zu strings; at most %zu are allowed", v->size(), kMaxStops));
    std::vector<std::string> out;
    for (const json& s : *v) {
        if (!s.is_string()) bad("'stop' must be a string or an array of strings");
        if (!s.get<std::string>().empty()) out.push_back(s.get<std::string>());
    }
    return out;
}

// Sampling, lengths, stops and streaming: the fields both endpoints share.
CompletionRequest common_fields(const json& j) {
    CompletionRequest r;
    GenerationRequest& g = r.generation;
    SamplingParams& s = g.sampling;
    set_if(s.temperature, number(j, "temperature", 0.0, 100.0));
    set_if(s.top_p, number(j, "top_p", 0.0, 1.0));
    set_if(s.min_p, number(j, "min_p", 0.0, 1.0));
    set_if(s.presence_penalty, number(j, "presence_penalty", -2.0, 2.0));
    set_if(s.frequency_penalty, number(j, "frequency_penalty", -2.0, 2.0));
    set_if(s.repeat_penalty, number(j, "repeat_penalty", 0.0, 100.0));
    if (s.repeat_penalty <= 0.0f) bad("'repeat_penalty' must be positive");
    int64_t v = 0;
    if (integer(j, "top_k", 0, std::numeric_limits<int32_t>::max(), v)) s.top_k = static_cast<int32_t>(v);
    if (integer(j, "repeat_last_n", -1, std::numeric_limits<int32_t>::max(), v)) s.repeat_last_n = static_cast<int32_t>(v);
    const int64_t int_max = std::numeric_limits<int32_t>::max();
    // A reply has at least one token (OpenAI rejects 0 too); -1 is llama-server's "no limit".
    if (integer(j, "max_tokens", 1, int_max, v)) g.max_tokens = static_cast<int32_t>(v);
    if (integer(j, "max_completion_tokens", 1, int_max, v)) g.max_tokens = static_cast<int32_t>(v);
    if (integer(j, "n_predict", -1, int_max, v)) {
        if (v == 0) bad("'n_predict' must be -1 (no limit) or at least 1");
        g.max_tokens = static_cast<int32_t>(v);
    }
    if (const json* n = field(j, "n"); n != nullptr && !(n->is_number_integer() && n->get<int64_t>() == 1)) {
        bad("'n' must be 1: this server returns one choice per request");
    }
    r.seed_given = integer(j, "seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), v);
    s.seed = r.seed_given ? static_cast<uint64_t>(v) : std::random_device{}() * 0x100000001ull + std::random_device{}();
    g.stop = stop_strings(j);
    g.ignore_eos = boolean(j, "ignore_eos", false);
    r.stream = boolean(j, "stream", false);
    if (const json* so = field(j, "stream_options")) {
        if (!so->is_object()) bad("'stream_options' must be an object");
        r.include_usage = boolean(*so, "include_usage", false);
    }
    return r;
}

std::string message_content(const json& content, size_t index) {
    if (content.is_null()) return "";
    if (content.is_string()) return content.get<std::string>();
    if (!content.is_array()) bad(strprintf("messages[%zu].content must be a string or an array of parts", index));
    std::string text;
    for (const json& part : content) {
        if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
            bad(strprintf("messages[%zu].content parts must be objects with a 'type'", index));
        }
        if (part["type"] != "text") {
            bad(strprintf("messages[%zu].content has a part of type '%s'; only 'text' is supported", index,
                          part["type"].get<std::string>().c_str()));
        }
        if (!part.contains("text") || !part["text"].is_string()) {
            bad(strprintf("messages[%zu].content text parts need a string 'text'", index));
        }
        text += part["text"].get<std::string>();
    }
    return text;
}

std::vector<ChatMessage> messages(const json& j) {
    const json* v = field(j, "messages");
    if (v == nullptr) bad("'messages' is required");
    if (!v->is_array() || v->empty()) bad("'messages' must be a non-empty array");
    std::vector<ChatMessage> out;
    for (size_t i = 0; i < v->size(); ++i) {
        const json& m = (*v)[i];
        if (!m.is_object()) bad(strprintf("messages[%zu] must be an object", i));
        const json* role = field(m, "role");
        if (role == nullptr || !role->is_string()) bad(strprintf("messages[%zu].role must be a string", i));
        std::string r = role->get<std::string>();
        if (r == "developer") r = "system";  // OpenAI's newer name for the system role
        if (r != "system" && r != "user" && r != "assistant") {
            bad(strprintf("messages[%zu].role '%s' is not supported (system, user, assistant)", i, r.c_str()));
        }
        const auto it = m.find("content");
        out.push_back({r, message_content(it == m.end() ? json() : *it, i)});
    }
    return out;
}

bool is_token_array(const json& p) {
    return p.is_array() && !p.empty() && std::all_of(p.begin(), p.end(), [](const json& t) { return t.is_number_integer(); });
}

// OpenAI's prompt forms: a string, token ids, or a one-element array of either (several prompts
// would need several choices, and this server returns one).
void parse_prompt(const json& p, CompletionRequest& r) {
    const json& one = p.is_array() && p.size() == 1 && (p[0].is_string() || p[0].is_array()) ? p[0] : p;
    if (one.is_string()) {
        r.prompt = one.get<std::string>();
        return;
    }
    if (is_token_array(one)) {
        for (const json& t : one) {
            const auto id = t.get<int64_t>();
            if (id < 0 || id > std::numeric_limits<int32_t>::max()) bad(strprintf("prompt token id %lld is out of range", static_cast<long long>(id)));
            r.prompt_tokens.push_back(static_cast<int32_t>(id));
        }
        return;
    }
    if (p.is_array() && p.size() > 1 && (p[0].is_string() || p[0].is_array())) {
        bad(strprintf("'prompt' holds %zu prompts; this server answers one prompt per request", p.size()));
    }
    bad("'prompt' must be a string or an array of token ids");
}

}  // namespace

CompletionRequest parse_chat_request(const std::string& body) {
    const json j = parse_body(body);
    CompletionRequest r = common_fields(j);
    r.chat = true;
    r.messages = messages(j);
    r.logprobs = boolean(j, "logprobs", false);
    int64_t top = 0;
    if (integer(j, "top_logprobs", 0, kMaxTopLogprobs, top)) {
        if (!r.logprobs) bad("'top_logprobs' requires 'logprobs': true");
        r.top_logprobs = static_cast<int>(top);
    }
    r.generation.top_logprobs = r.logprobs ? r.top_logprobs : -1;
    return r;
}

CompletionRequest parse_completion_request(const std::string& body) {
    const json j = parse_body(body);
    CompletionRequest r = common_fields(j);
    const json* p = field(j, "prompt");
    if (p == nullptr) bad("'prompt' is required");
    parse_prompt(*p, r);
    int64_t n = 0;
    if (integer(j, "logprobs", 0, kMaxTopLogprobs, n)) {
        r.logprobs = true;
        r.top_logprobs = static_cast<int>(n);
    }
    r.generation.top_logprobs = r.logprobs ? r.top_logprobs : -1;
    return r;
}

}  // namespace bitnet::server
