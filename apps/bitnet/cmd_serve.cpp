#include <CLI/CLI.hpp>
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "cli_common.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "server/server.hpp"

namespace bitnet::cli {

namespace {

std::string read_key_file(const std::string& path) {
    std::string key = read_file(path);
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
    if (key.empty()) fail(strprintf("--api-key-file '%s' is empty", path.c_str()));
    return key;
}

// SIGINT / SIGTERM are blocked in every thread and taken by one waiting thread, which stops the
// server: no work happens inside a signal handler.
sigset_t termination_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

}  // namespace

Action add_serve(CLI::App& app) {
    struct Options {
        ModelFlags model;
        server::ServerOptions server;
        std::string api_key_file;
    };
    auto o = std::make_shared<Options>();
    o->model.ctx = 0;
    CLI::App* cmd = app.add_subcommand("serve", "OpenAI-compatible HTTP server with continuous batching");
    add_model_flags(*cmd, o->model);
    server::ServerOptions& s = o->server;
    cmd->add_option("--host", s.host, "Address to listen on")->capture_default_str();
    cmd->add_option("--port", s.port, "Port to listen on (0: any free port)")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    cmd->add_option("--parallel", s.n_slots, "-np N: requests served at once (slots); -c is split across them")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    cmd->add_option("--api-key", s.api_key, "Require 'Authorization: Bearer KEY' (not for /health, /v1/models)");
    cmd->add_option("--api-key-file", o->api_key_file, "Read the API key from a file");
    cmd->add_flag("--metrics", s.metrics, "Serve Prometheus metrics at /metrics");
    cmd->add_option("-a,--alias", s.alias, "Model id in responses and /v1/models (default: the file name)");
    cmd->add_option("--timeout", s.timeout_s, "Socket read / write timeout in seconds")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    cmd->add_option("--max-queue", s.max_queue, "Requests that may wait for a slot; beyond, 503")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    cmd->add_option("--max-body", s.max_body_bytes, "Largest request body in bytes; beyond, 413")
        ->check(CLI::Range(size_t{1024}, size_t{1} << 30))
        ->capture_default_str();
    return [o] {
        server::ServerOptions so = o->server;
        if (!o->api_key_file.empty()) {
            if (!so.api_key.empty()) fail("use either --api-key or --api-key-file, not both");
            so.api_key = read_key_file(o->api_key_file);
        }
        const ContextOptions c = context_options(o->model);
        so.model_path = o->model.model;
        so.load = model_load_options(o->model);
        so.load.weights.progress = false;
        so.n_ctx = c.n_ctx;
        so.n_batch = c.n_batch;
        so.n_threads = c.n_threads;
        so.kv_type = c.kv_type;

        const sigset_t signals = termination_signals();
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: all inherit it
        server::Server srv(so);
        const int port = srv.bind();
        std::fprintf(stderr, "serve: listening on http://%s:%d (loading %s)\n", so.host.c_str(), port,
                     so.model_path.c_str());
        std::atomic<bool> signalled{false};
        std::thread waiter([&srv, &signalled, signals] {
            int sig = 0;
            sigwait(&signals, &sig);
            if (signalled.exchange(true)) return;  // woken by the main thread below
            std::fprintf(stderr, "serve: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
            srv.stop();
        });
        auto release_waiter = [&] {
            if (!signalled.exchange(true)) pthread_kill(waiter.native_handle(), SIGTERM);
            waiter.join();
        };
        try {
            srv.run();
        } catch (...) {
            release_waiter();
            throw;
        }
        release_waiter();
        std::fprintf(stderr, "serve: stopped\n");
        return 0;
    };
}

}  // namespace bitnet::cli
