// Parsing of the OpenAI request bodies: accepted forms, defaults, and a 400 naming the field for
// each malformed one.
#include <gtest/gtest.h>

#include "server/api_error.hpp"
#include "server/request.hpp"

using namespace bitnet::server;

namespace {

std::string error_of(bool chat, const std::string& body) {
    try {
        chat ? parse_chat_request(body) : parse_completion_request(body);
    } catch (const ApiError& e) {
        EXPECT_EQ(e.status(), 400);
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Request, ChatFieldsAreRead) {
    const CompletionRequest r = parse_chat_request(R"({
        "model": "x", "messages": [{"role": "system", "content": "Be brief."},
                                   {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]},
                                   {"role": "assistant", "content": null}],
        "max_completion_tokens": 7, "temperature": 0.5, "top_p": 0.9, "top_k": 12, "min_p": 0.1, "seed": 42,
        "stop": ["\n", "END"], "presence_penalty": 0.5, "frequency_penalty": -0.5, "repeat_penalty": 1.1,
        "ignore_eos": true, "logprobs": true, "top_logprobs": 2, "n": 1, "stream": true,
        "stream_options": {"include_usage": true}, "tools": [], "user": "someone", "response_format": {"type": "text"}})");
    ASSERT_EQ(r.messages.size(), 3u);
    EXPECT_EQ(r.messages[1].content, "Hi there");
    EXPECT_EQ(r.messages[2].content, "");
    EXPECT_EQ(r.generation.max_tokens, 7);
    EXPECT_FLOAT_EQ(r.generation.sampling.temperature, 0.5f);
    EXPECT_EQ(r.generation.sampling.top_k, 12);
    EXPECT_EQ(r.generation.sampling.seed, 42u);
    EXPECT_TRUE(r.seed_given);
    EXPECT_EQ(r.generation.stop, (std::vector<std::string>{"\n", "END"}));
    EXPECT_TRUE(r.generation.ignore_eos);
    EXPECT_EQ(r.generation.top_logprobs, 2);
    EXPECT_TRUE(r.stream);
    EXPECT_TRUE(r.include_usage);
}

TEST(Request, DefaultsAndCompletionsForms) {
    const CompletionRequest r = parse_completion_request(R"({"prompt": "Once", "max_tokens": null, "stop": "x"})");
    EXPECT_EQ(r.prompt, "Once");
    EXPECT_EQ(r.generation.max_tokens, -1);
    EXPECT_EQ(r.generation.top_logprobs, -1);
    EXPECT_FALSE(r.seed_given);
    EXPECT_EQ(r.generation.stop, std::vector<std::string>{"x"});
    EXPECT_EQ(parse_completion_request(R"({"prompt": ["one"], "logprobs": 3})").generation.top_logprobs, 3);
}

TEST(Request, MalformedBodiesNameTheProblem) {
    EXPECT_EQ(error_of(true, "{not json"), "the request body is not valid JSON");
    EXPECT_EQ(error_of(true, "[1]"), "the request body must be a JSON object");
    EXPECT_EQ(error_of(true, "{}"), "'messages' is required");
    EXPECT_EQ(error_of(true, R"({"messages": []})"), "'messages' must be a non-empty array");
    EXPECT_EQ(error_of(true, R"({"messages": [{"role": "tool", "content": "x"}]})"),
              "messages[0].role 'tool' is not supported (system, user, assistant)");
    EXPECT_EQ(error_of(true, R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})"),
              "messages[0].content has a part of type 'image_url'; only 'text' is supported");
    const std::string ok = R"("messages": [{"role": "user", "content": "x"}])";
    EXPECT_EQ(error_of(true, "{" + ok + R"(, "temperature": "hot"})"), "'temperature' must be a number");
    EXPECT_EQ(error_of(true, "{" + ok + R"(, "top_p": 7})"), "'top_p' must be between 0 and 1 (got 7)");
    EXPECT_EQ(error_of(true, "{" + ok + R"(, "max_tokens": -3})"),
              "'max_tokens' must be between 1 and 2147483647 (got -3)");
    EXPECT_EQ(error_of(true, "{" + ok + R"(, "max_tokens": 1.5})"), "'max_tokens' must be an integer");
    EXPECT_EQ(error_of(true, "{" + ok + R"(, "n": 2})"), "'n' must be 1: this server returns one choice per request");
    EXPECT_EQ(error_of(true, "{" + ok + R"(, "stream": "yes"})"), "'stream' must be true or false");
    EXPECT_EQ(error_of(true, "{" + ok + R"(, "stop": 3})"), "'stop' must be a string or an array of strings");
    EXPECT_EQ(error_of(true, "{" + ok + R"(, "top_logprobs": 2})"), "'top_logprobs' requires 'logprobs': true");
    EXPECT_EQ(error_of(true, "{" + ok + R"(, "logprobs": true, "top_logprobs": 21})"),
              "'top_logprobs' must be between 0 and 20 (got 21)");
    EXPECT_EQ(error_of(false, R"({"prompt": 5})"), "'prompt' must be a string or an array of token ids");
    EXPECT_EQ(error_of(false, R"({"max_tokens": 5})"), "'prompt' is required");
}
