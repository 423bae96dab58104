// GET /health, /v1/models, /metrics, / (the chat page); POST /tokenize, /detokenize.
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "server/api_error.hpp"
#include "server/guard.hpp"
#include "server/metrics.hpp"
#include "server/response.hpp"
#include "server/state.hpp"
#include "server/web_page.hpp"
#include "tokenizer/utf8.hpp"

namespace bitnet::server {

namespace {

using nlohmann::json;

void send_json(httplib::Response& res, const json& j) { res.set_content(dump(j), "application/json"); }

json body_object(const std::string& body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw ApiError(400, "the request body must be a JSON object");
    return j;
}

void require_ready(const Server::State& s) {
    if (!s.ready) throw ApiError(503, s.stopping ? "the server is shutting down" : "the model is still loading");
}

json model_json(const Server::State& s) {
    json j = {{"id", s.model_id}, {"object", "model"}, {"created", s.started}, {"owned_by", "bitnet"}};
    if (s.ready) {
        const ModelConfig& c = s.model->config;
        j["meta"] = {{"architecture", c.arch_name},      {"n_vocab", c.n_vocab},
                     {"n_ctx_train", c.n_ctx_train},     {"n_embd", c.n_embd},
                     {"n_params", s.model->n_params()},  {"n_ctx_slot", s.ctx->n_ctx()},
                     {"n_slots", s.ctx->n_seq()},        {"chat_format", chat_format_name(s.chat_format)}};
    }
    return j;
}

void tokenize(const Server::State& s, const std::string& body, httplib::Response& res) {
    require_ready(s);
    const json j = body_object(body);
    if (!j.contains("content") || !j["content"].is_string()) throw ApiError(400, "'content' must be a string");
    // llama-server's defaults: special-token text (e.g. "<|eot_id|>") becomes that token.
    auto flag = [&](const char* name, bool fallback) {
        if (!j.contains(name) || j[name].is_null()) return fallback;
        if (!j[name].is_boolean()) throw ApiError(400, strprintf("'%s' must be true or false", name));
        return j[name].get<bool>();
    };
    const Tokenizer& tok = s.model->tokenizer;
    const std::vector<int32_t> ids = tok.encode(j["content"].get<std::string>(),
                                                flag("add_special", false) && tok.bos() >= 0, flag("parse_special", true));
    const bool with_pieces = flag("with_pieces", false);
    json tokens = json::array();
    for (int32_t id : ids) {
        if (with_pieces) {
            // A piece that is not whole UTF-8 characters is given as its bytes, as llama-server does.
            const std::string piece = tok.token_bytes(id);
            tokens.push_back({{"id", id}, {"piece", utf8::is_valid(piece) ? json(piece) : bytes_array(piece)}});
        } else {
            tokens.push_back(id);
        }
    }
    send_json(res, {{"tokens", tokens}});
}

void detokenize(const Server::State& s, const std::string& body, httplib::Response& res) {
    require_ready(s);
    const json j = body_object(body);
    if (!j.contains("tokens") || !j["tokens"].is_array()) throw ApiError(400, "'tokens' must be an array of token ids");
    std::vector<int32_t> ids;
    for (const json& t : j["tokens"]) {
        if (!t.is_number_integer()) throw ApiError(400, "'tokens' must be an array of token ids");
        const auto id = t.get<int64_t>();
        if (id < 0 || id >= s.model->tokenizer.n_vocab()) {
            throw ApiError(400, strprintf("token id %lld is out of range (the vocabulary has %d tokens)",
                                          static_cast<long long>(id), s.model->tokenizer.n_vocab()));
        }
        ids.push_back(static_cast<int32_t>(id));
    }
    send_json(res, {{"content", s.model->tokenizer.decode(ids)}});
}

}  // namespace

void register_info_routes(httplib::Server& http, Server::State& s) {
    auto health = [&s](const httplib::Request&, httplib::Response& res) {
        if (s.ready) {
            send_json(res, {{"status", "ok"}});
        } else {
            res.status = 503;
            send_json(res, {{"status", s.stopping ? "shutting down" : "loading model"}});
        }
    };
    http.Get("/health", health);
    http.Get("/v1/health", health);
    auto models = [&s](const httplib::Request&, httplib::Response& res) {
        send_json(res, {{"object", "list"}, {"data", json::array({model_json(s)})}});
    };
    http.Get("/v1/models", models);
    http.Get("/models", models);
    http.Get("/metrics", [&s](const httplib::Request& req, httplib::Response& res) {
        require_key(s, req);
        if (!s.options.metrics) throw ApiError(404, "metrics are off; start the server with --metrics");
        require_ready(s);
        res.set_content(prometheus_text(s.scheduler->stats()), "text/plain; version=0.0.4");
    });
    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(web_page().data(), web_page().size(), "text/html; charset=utf-8");
    });
    post_route(http, s, "/tokenize",
               [&s](const httplib::Request&, const std::string& body, httplib::Response& res) { tokenize(s, body, res); });
    post_route(http, s, "/detokenize",
               [&s](const httplib::Request&, const std::string& body, httplib::Response& res) { detokenize(s, body, res); });
}

}  // namespace bitnet::server
