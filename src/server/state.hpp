#pragma once
// What the route handlers of a Server share (internal to src/server/).
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/chat_format.hpp"
#include "runtime/context.hpp"
#include "runtime/loaded_model.hpp"
#include "server/scheduler.hpp"
#include "server/server.hpp"

namespace bitnet::server {

struct Server::State {
    ServerOptions options;
    std::string model_id;
    std::atomic<bool> ready{false};     // the model is loaded and the scheduler runs
    std::atomic<bool> stopping{false};
    std::mutex lifecycle;  // scheduler creation (after loading) against stop()
    std::shared_ptr<const LoadedModel> model;
    std::unique_ptr<InferenceContext> ctx;
    std::unique_ptr<Scheduler> scheduler;
    ChatFormat chat_format = ChatFormat::bitnet;
    int64_t started = 0;  // Unix seconds
};

// Route registration, one function per file.
void register_info_routes(httplib::Server& http, Server::State& state);        // routes.cpp
void register_completion_routes(httplib::Server& http, Server::State& state);  // completions.cpp

// Sends the OpenAI error envelope.
void send_error(httplib::Response& res, int status, const std::string& message);

}  // namespace bitnet::server
