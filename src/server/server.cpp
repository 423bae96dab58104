#include "server/server.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/error.hpp"
#include "server/api_error.hpp"
#include "server/response.hpp"
#include "server/state.hpp"

namespace bitnet::server {

const char* error_type(int status) {
    switch (status) {
        case 400:
        case 404:
        case 413: return "invalid_request_error";
        case 401: return "authentication_error";
        case 503: return "unavailable_error";
        default: return "server_error";
    }
}

std::string error_body(int status, const std::string& message) {
    return dump({{"error", {{"message", message}, {"type", error_type(status)}, {"code", status}}}});
}

void send_error(httplib::Response& res, int status, const std::string& message) {
    res.status = status;
    res.set_content(error_body(status, message), "application/json");
}

namespace {

int64_t unix_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Server::Server(ServerOptions options) : http_(std::make_unique<httplib::Server>()), state_(std::make_unique<State>()) {
    State& s = *state_;
    s.options = std::move(options);
    s.model_id = s.options.alias.empty() ? std::filesystem::path(s.options.model_path).filename().string() : s.options.alias;
    s.started = unix_seconds();
    const ServerOptions& o = s.options;
    // One thread per connection that can be in flight: running and waiting requests plus a few
    // for health checks and metrics; beyond the queue, requests get 503 rather than a hang.
    const auto n_threads = static_cast<size_t>(o.n_slots + o.max_queue + 8);
    http_->new_task_queue = [n_threads] { return new httplib::ThreadPool(n_threads); };
    http_->set_payload_max_length(o.max_body_bytes);
    http_->set_read_timeout(o.timeout_s);
    http_->set_write_timeout(o.timeout_s);
    http_->set_tcp_nodelay(true);
    register_routes();
}

Server::~Server() { stop(); }

void Server::register_routes() {
    State& s = *state_;
    http_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Access-Control-Allow-Origin", "*");
        if (req.method == "OPTIONS") {  // CORS preflight of a browser client
            res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Api-Key");
            res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            res.status = 204;
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;  // keys are checked by the routes (guard.hpp)
    });
    http_->set_error_handler([&s](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        if (res.status == 404) {
            send_error(res, 404, "no route for " + req.method + " " + req.path);
        } else if (res.status == 413) {
            send_error(res, 413, strprintf("the request body is larger than the limit of %zu bytes",
                                           s.options.max_body_bytes));
        } else {
            send_error(res, res.status, strprintf("request failed with HTTP status %d", res.status));
        }
    });
    http_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
            std::rethrow_exception(ep);
        } catch (const ApiError& e) {
            send_error(res, e.status(), e.what());
        } catch (const std::exception& e) {
            send_error(res, 500, e.what());
        }
    });
    register_info_routes(*http_, s);
    register_completion_routes(*http_, s);
}

int Server::bind() {
    const ServerOptions& o = state_->options;
    const int port = o.port == 0 ? http_->bind_to_any_port(o.host) : (http_->bind_to_port(o.host, o.port) ? o.port : -1);
    if (port < 0) fail(strprintf("cannot listen on %s:%d (address in use, or not an address of this machine)",
                                 o.host.c_str(), o.port));
    return port;
}

void Server::load_model() {
    State& s = *state_;
    const ServerOptions& o = s.options;
    s.model = LoadedModel::load(o.model_path, o.load);
    ContextOptions c;
    c.n_seq = o.n_slots;
    const int64_t total = o.n_ctx > 0 ? o.n_ctx : o.n_slots * std::min<int64_t>(s.model->config.n_ctx_train, 4096);
    c.n_ctx = total / o.n_slots;
    if (c.n_ctx < 8) {
        fail(strprintf("-c %lld split across %d slots leaves %lld tokens per slot; give at least %d",
                       static_cast<long long>(total), o.n_slots, static_cast<long long>(c.n_ctx), 8 * o.n_slots));
    }
    // Every generating slot takes one token of each step's batch.
    c.n_batch = std::max<int64_t>(o.n_batch, o.n_slots);
    c.n_threads = o.n_threads;
    c.kv_type = o.kv_type;
    s.ctx = std::make_unique<InferenceContext>(s.model, c);
    s.chat_format = chat_format_for(*s.model);
    std::lock_guard lock(s.lifecycle);
    if (s.stopping) return;
    s.scheduler = std::make_unique<Scheduler>(*s.ctx, SchedulerOptions{o.n_slots, o.max_queue});
    s.scheduler->start();
    s.ready = true;
}

void Server::run() {
    std::atomic<bool> listener_done{false};
    std::thread listener([&] {
        http_->listen_after_bind();
        listener_done = true;
    });
    // stop() can only end a listening server: wait for the listener before anything can stop it.
    while (!http_->is_running() && !listener_done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    try {
        if (!state_->stopping) load_model();
    } catch (...) {
        http_->stop();
        listener.join();
        throw;
    }
    const State& s = *state_;
    if (s.ready) {
        std::fprintf(stderr, "serve: %s ready: %d slots of %lld tokens, batch %lld, chat format %s\n",
                     s.model_id.c_str(), s.options.n_slots, static_cast<long long>(s.ctx->n_ctx()),
                     static_cast<long long>(s.ctx->n_batch()), chat_format_name(s.chat_format));
    }
    if (s.stopping) http_->stop();
    listener.join();
}

void Server::stop() {
    State& s = *state_;
    if (s.stopping.exchange(true)) return;
    {
        std::lock_guard lock(s.lifecycle);
        s.ready = false;
        if (s.scheduler) s.scheduler->shutdown();
    }
    http_->stop();
}

}  // namespace bitnet::server
