#pragma once
// `bitnet serve`: an OpenAI-compatible HTTP server (llama-server's conventions) over one loaded
// model and a continuous-batching Scheduler. The socket listens before the weights are loaded
// (/health answers 503 "loading model" meanwhile).
//
// Routes (server.cpp registers them; each lives in the file named):
//   GET  /health, /v1/models, /metrics, /                          routes.cpp
//   POST /v1/chat/completions, /v1/completions (and without /v1)   completions.cpp
//   POST /tokenize, /detokenize                                     routes.cpp
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "model/kv_cache.hpp"
#include "runtime/chat_format.hpp"
#include "runtime/loaded_model.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace bitnet {
class InferenceContext;
}

namespace bitnet::server {

class Scheduler;

struct ServerOptions {
    std::string model_path;
    ModelLoadOptions load;
    std::string host = "127.0.0.1";
    int port = 8080;  // 0: any free port (printed)
    int n_slots = 4;
    int64_t n_ctx = 0;  // total KV positions, split evenly across the slots; 0: n_slots * 4096 capped by the model
    int64_t n_batch = 512;
    int n_threads = 0;
    KvType kv_type = KvType::f16;
    std::string api_key;  // empty: no authentication
    bool metrics = false;
    std::string alias;  // model id; default: the file name
    int timeout_s = 600;  // socket read / write timeout
    size_t max_body_bytes = size_t{8} << 20;
    int64_t max_queue = 64;
};

class Server {
public:
    explicit Server(ServerOptions options);
    ~Server();

    // Binds the socket (throws Error naming the address when it cannot); returns the port.
    int bind();
    // Serves until stop(): listens, loads the model, then answers requests. Throws Error if the
    // model cannot be loaded.
    void run();
    // Stops accepting, cancels running and waiting requests, makes run() return. Safe from any
    // thread, also before run().
    void stop();

    // State the route handlers share.
    struct State;

private:
    void register_routes();
    void load_model();

    std::unique_ptr<httplib::Server> http_;
    std::unique_ptr<State> state_;
};

}  // namespace bitnet::server
