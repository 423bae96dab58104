// POST /v1/chat/completions and /v1/completions: build the prompt, queue it, and answer with one
// JSON object or a Server-Sent-Events stream exactly as OpenAI sends them.
#include <httplib.h>

#include <chrono>
#include <memory>

#include "core/error.hpp"
#include "server/api_error.hpp"
#include "server/guard.hpp"
#include "server/request.hpp"
#include "server/response.hpp"
#include "server/state.hpp"

namespace bitnet::server {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::vector<int32_t> prompt_tokens(const Server::State& s, const CompletionRequest& r) {
    const Tokenizer& tok = s.model->tokenizer;
    std::vector<int32_t> ids = r.chat                       ? render_chat(tok, s.chat_format, r.messages)
                               : !r.prompt_tokens.empty() ? r.prompt_tokens
                                                          : tok.encode(r.prompt, tok.add_bos_default() && tok.bos() >= 0, true);
    if (ids.empty()) throw ApiError(400, "the prompt is empty");
    for (int32_t id : ids) {
        if (id >= tok.n_vocab()) {
            throw ApiError(400, strprintf("prompt token id %d is out of range (the vocabulary has %d tokens)", id, tok.n_vocab()));
        }
    }
    const int64_t n_ctx = s.ctx->n_ctx();
    if (static_cast<int64_t>(ids.size()) >= n_ctx) {
        throw ApiError(400, strprintf("the prompt has %zu tokens, but this server's context holds %lld tokens per "
                                      "request (prompt and reply together)",
                                      ids.size(), static_cast<long long>(n_ctx)));
    }
    return ids;
}

std::shared_ptr<Channel> submit(Server::State& s, CompletionRequest& r) {
    if (!s.ready) throw ApiError(503, s.stopping ? "the server is shutting down" : "the model is still loading");
    r.generation.prompt = prompt_tokens(s, r);
    try {
        return s.scheduler->submit(std::move(r.generation));
    } catch (const QueueFull& e) {
        throw ApiError(503, e.what());
    } catch (const Error& e) {
        throw ApiError(400, e.what());
    }
}

// Waits for the next event; never gives up while the request may still produce one.
Event next_event(Channel& channel) {
    Event e;
    while (!channel.pop(e, 1000ms)) {
    }
    return e;
}

// A non-streamed reply being collected.
struct Whole {
    ResponseMeta meta;
    bool chat = false;
    bool logprobs = false;
    std::shared_ptr<Channel> channel;
    std::string text;
    std::vector<TokenInfo> tokens;

    // Takes one text or done event; true once the reply is complete.
    bool add(Event& e) {
        if (e.kind == Event::Kind::done) return true;
        text += e.text;
        tokens.insert(tokens.end(), std::make_move_iterator(e.tokens.begin()), std::make_move_iterator(e.tokens.end()));
        return false;
    }
    std::string body(const Event& done) const {
        const json lp = logprobs ? logprobs_json(chat, tokens) : json();
        return dump(completion_json(meta, text, done.finish, done.usage, lp));
    }
};

// Until the first token (queue and prompt) the handler waits, so an error still gets its status.
// Then the reply is sent chunked: the provider sees a client that left (the HTTP library offers no
// other way) and cancels its generation, as for streams. An engine error after that point can
// only end the connection without a body.
void answer_whole(const Server::State& s, const CompletionRequest& r, std::shared_ptr<Channel> channel,
                  httplib::Response& res) {
    auto w = std::make_shared<Whole>(Whole{new_response_meta(r.chat, s.model_id), r.chat, r.logprobs, channel, {}, {}});
    Event e = next_event(*channel);
    if (e.kind == Event::Kind::error) throw ApiError(e.status, e.error);
    if (w->add(e)) return res.set_content(w->body(e), "application/json");
    res.set_chunked_content_provider(
        "application/json",
        [w](size_t, httplib::DataSink& sink) {
            // Takes what has arrived (waiting up to 250 ms), then checks that the client is still there.
            Event ev;
            for (auto wait = 250ms; w->channel->pop(ev, wait); wait = 0ms) {
                if (ev.kind == Event::Kind::error) return false;
                if (w->add(ev)) {
                    const std::string body = w->body(ev);
                    const bool ok = sink.write(body.data(), body.size());
                    sink.done();
                    return ok;
                }
            }
            return sink.is_writable();
        },
        [channel](bool) { channel->cancel(); });  // harmless once finished; ends an abandoned reply
}

// State of one SSE stream, shared by httplib's provider calls.
struct Stream {
    ResponseMeta meta;
    CompletionRequest request;
    std::shared_ptr<Channel> channel;
    bool started = false;
};

bool send(httplib::DataSink& sink, const std::string& data) {
    const std::string event = "data: " + data + "\n\n";
    return sink.write(event.data(), event.size());
}

// One provider call: the opening chunk, or the next event as chunks. False ends the stream.
bool stream_step(Stream& st, httplib::DataSink& sink) {
    const bool usage_nulls = st.request.include_usage;
    if (!st.started) {
        st.started = true;
        if (st.request.chat) {
            const std::string empty;
            return send(sink, dump(chunk_json(st.meta, &empty, true, nullptr, json(), usage_nulls)));
        }
    }
    Event e;
    // Nothing yet (queued, or a long prompt): the client may have gone meanwhile.
    if (!st.channel->pop(e, 250ms)) return sink.is_writable();
    if (e.kind == Event::Kind::error) {
        send(sink, error_body(e.status, e.error));
        sink.done();
        return true;
    }
    if (e.kind == Event::Kind::text) {
        // A write to a socket the client closed can still succeed once; this sees the close now.
        if (!sink.is_writable()) return false;
        const json logprobs = st.request.logprobs ? logprobs_json(st.request.chat, e.tokens) : json();
        return send(sink, dump(chunk_json(st.meta, &e.text, false, nullptr, logprobs, usage_nulls)));
    }
    const char* finish = finish_reason_name(e.finish);
    const std::string empty;
    bool ok = send(sink, dump(chunk_json(st.meta, st.request.chat ? nullptr : &empty, false, finish, json(), usage_nulls)));
    if (ok && st.request.include_usage) ok = send(sink, dump(usage_chunk_json(st.meta, e.usage)));
    if (ok) ok = send(sink, "[DONE]");
    sink.done();
    return ok;
}

void answer_stream(const Server::State& s, CompletionRequest&& r, std::shared_ptr<Channel> channel,
                   httplib::Response& res) {
    auto st = std::make_shared<Stream>(Stream{new_response_meta(r.chat, s.model_id), std::move(r), channel});
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");  // nginx: pass events through at once
    res.set_chunked_content_provider(
        "text/event-stream",
        [st](size_t, httplib::DataSink& sink) {
            if (stream_step(*st, sink)) return true;
            st->channel->cancel();  // the client is gone: free the slot at the next step
            return false;
        },
        [channel](bool) { channel->cancel(); });  // harmless once finished; ends an abandoned stream
}

void complete(Server::State& s, bool chat, const std::string& body, httplib::Response& res) {
    CompletionRequest r = chat ? parse_chat_request(body) : parse_completion_request(body);
    const bool stream = r.stream;
    std::shared_ptr<Channel> channel = submit(s, r);
    if (stream) return answer_stream(s, std::move(r), std::move(channel), res);
    try {
        answer_whole(s, r, channel, res);
    } catch (...) {
        channel->cancel();
        throw;
    }
}

}  // namespace

void register_completion_routes(httplib::Server& http, Server::State& s) {
    for (const char* path : {"/v1/chat/completions", "/chat/completions"}) {
        post_route(http, s, path, [&s](const httplib::Request&, const std::string& body, httplib::Response& res) {
            complete(s, true, body, res);
        });
    }
    for (const char* path : {"/v1/completions", "/completions"}) {
        post_route(http, s, path, [&s](const httplib::Request&, const std::string& body, httplib::Response& res) {
            complete(s, false, body, res);
        });
    }
}

}  // namespace bitnet::server
