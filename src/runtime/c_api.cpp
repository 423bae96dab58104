// The C API (include/bitnet/bitnet.h) over the public C++ API. Exceptions never cross the
// boundary: each entry point catches them and records the message for bitnet_last_error().
#include "bitnet/bitnet.h"

#include <cstring>
#include <exception>
#include <string>

#include "bitnet/bitnet.hpp"

struct bitnet_model {
    std::shared_ptr<bitnet::Model> model;
};

struct bitnet_session {
    bitnet::Session session;
};

namespace {

thread_local std::string g_last_error;

template <class R, class F>
R guarded(R on_error, F&& body) {
    try {
        g_last_error.clear();
        return body();
    } catch (const std::exception& e) {
        g_last_error = e.what();
    } catch (...) {
        g_last_error = "unknown error";
    }
    return on_error;
}

bool require(const void* p, const char* what) {
    if (p != nullptr) return true;
    g_last_error = std::string(what) + " is NULL";
    return false;
}

bitnet::GenerateOptions generate_options(const bitnet_generate_params* p) {
    const bitnet_generate_params d = bitnet_generate_default_params();
    if (p == nullptr) p = &d;
    bitnet::GenerateOptions o;
    o.max_tokens = p->max_tokens;
    o.sampling.temperature = p->temperature;
    o.sampling.top_k = p->top_k;
    o.sampling.top_p = p->top_p;
    o.sampling.min_p = p->min_p;
    o.sampling.repeat_penalty = p->repeat_penalty;
    o.sampling.repeat_last_n = p->repeat_last_n;
    o.sampling.frequency_penalty = p->frequency_penalty;
    o.sampling.presence_penalty = p->presence_penalty;
    o.sampling.seed = p->seed;
    return o;
}

bitnet::TextCallback wrap(bitnet_text_callback cb, void* user) {
    if (cb == nullptr) return {};
    return [cb, user](std::string_view text) { return cb(text.data(), text.size(), user) != 0; };
}

}  // namespace

extern "C" {

const char* bitnet_last_error(void) { return g_last_error.c_str(); }
const char* bitnet_version(void) { return BITNET_VERSION; }

bitnet_model* bitnet_model_load(const char* path, const bitnet_model_params* params) {
    if (!require(path, "path")) return nullptr;
    return guarded<bitnet_model*>(nullptr, [&] {
        bitnet::ModelOptions o;
        if (params != nullptr) {
            o.n_threads = params->n_threads;
            if (params->weight_layout != nullptr) o.weight_layout = params->weight_layout;
            if (params->head_type != nullptr) o.head_type = params->head_type;
            o.use_mmap = params->use_mmap != 0;
        }
        return new bitnet_model{bitnet::Model::load(path, o)};
    });
}

void bitnet_model_free(bitnet_model* model) { delete model; }

int32_t bitnet_model_n_vocab(const bitnet_model* m) {
    if (!require(m, "model")) return -1;
    return static_cast<int32_t>(m->model->info().n_vocab);
}
int64_t bitnet_model_n_ctx_train(const bitnet_model* m) {
    if (!require(m, "model")) return -1;
    return m->model->info().n_ctx_train;
}
int32_t bitnet_token_bos(const bitnet_model* m) { return require(m, "model") ? m->model->bos() : -1; }
int32_t bitnet_token_eos(const bitnet_model* m) { return require(m, "model") ? m->model->eos() : -1; }
int32_t bitnet_token_eot(const bitnet_model* m) { return require(m, "model") ? m->model->eot() : -1; }
int bitnet_token_is_eog(const bitnet_model* m, int32_t token) {
    return require(m, "model") && m->model->is_end_of_generation(token) ? 1 : 0;
}

int64_t bitnet_tokenize(const bitnet_model* m, const char* text, size_t len, int add_bos, int parse_special, int32_t* out,
                        size_t cap) {
    if (!require(m, "model") || (len > 0 && !require(text, "text"))) return -1;
    return guarded<int64_t>(-1, [&] {
        const auto ids = m->model->tokenize(std::string_view(text == nullptr ? "" : text, len), add_bos != 0,
                                            parse_special != 0);
        if (ids.size() <= cap && out != nullptr) std::memcpy(out, ids.data(), ids.size() * sizeof(int32_t));
        return static_cast<int64_t>(ids.size());
    });
}

int64_t bitnet_token_to_bytes(const bitnet_model* m, int32_t token, char* buf, size_t cap) {
    if (!require(m, "model")) return -1;
    return guarded<int64_t>(-1, [&] {
        const std::string bytes = m->model->detokenize(std::span<const int32_t>(&token, 1));
        if (bytes.size() <= cap && buf != nullptr) std::memcpy(buf, bytes.data(), bytes.size());
        return static_cast<int64_t>(bytes.size());
    });
}

bitnet_session* bitnet_session_new(const bitnet_model* m, const bitnet_session_params* params) {
    if (!require(m, "model")) return nullptr;
    return guarded<bitnet_session*>(nullptr, [&] {
        bitnet::SessionOptions o;
        if (params != nullptr) {
            o.n_ctx = params->n_ctx;
            if (params->n_batch > 0) o.n_batch = params->n_batch;
            o.n_threads = params->n_threads;
            o.kv_cache_f32 = params->kv_cache_f32 != 0;
        }
        return new bitnet_session{bitnet::Session(m->model, o)};
    });
}

void bitnet_session_free(bitnet_session* s) { delete s; }

int bitnet_session_reset(bitnet_session* s) {
    if (!require(s, "session")) return -1;
    s->session.reset();
    return 0;
}
int64_t bitnet_session_n_past(const bitnet_session* s) { return require(s, "session") ? s->session.n_past() : -1; }
int64_t bitnet_session_n_ctx(const bitnet_session* s) { return require(s, "session") ? s->session.n_ctx() : -1; }

int bitnet_session_decode(bitnet_session* s, const int32_t* tokens, size_t n) {
    if (!require(s, "session") || (n > 0 && !require(tokens, "tokens"))) return -1;
    return guarded<int>(-1, [&] {
        s->session.decode(std::span<const int32_t>(tokens, n));
        return 0;
    });
}

const float* bitnet_session_logits(const bitnet_session* s) {
    if (!require(s, "session")) return nullptr;
    if (s->session.n_past() == 0) {
        g_last_error = "no tokens have been decoded";
        return nullptr;
    }
    return s->session.logits().data();
}

bitnet_generate_params bitnet_generate_default_params(void) {
    const bitnet::SamplingOptions d;
    bitnet_generate_params p;
    p.temperature = d.temperature;
    p.top_k = d.top_k;
    p.top_p = d.top_p;
    p.min_p = d.min_p;
    p.repeat_penalty = d.repeat_penalty;
    p.repeat_last_n = d.repeat_last_n;
    p.frequency_penalty = d.frequency_penalty;
    p.presence_penalty = d.presence_penalty;
    p.seed = d.seed;
    p.max_tokens = -1;
    return p;
}

int64_t bitnet_generate(bitnet_session* s, const char* prompt, size_t len, const bitnet_generate_params* params,
                        bitnet_text_callback callback, void* user_data) {
    if (!require(s, "session") || (len > 0 && !require(prompt, "prompt"))) return -1;
    return guarded<int64_t>(-1, [&] {
        const bitnet::Generation g = s->session.generate(std::string_view(prompt == nullptr ? "" : prompt, len),
                                                         generate_options(params), wrap(callback, user_data));
        return static_cast<int64_t>(g.tokens.size());
    });
}

int64_t bitnet_chat(bitnet_session* s, const char* system_prompt, const char* user_message,
                    const bitnet_generate_params* params, bitnet_text_callback callback, void* user_data) {
    if (!require(s, "session") || !require(user_message, "user_message")) return -1;
    return guarded<int64_t>(-1, [&] {
        if (system_prompt != nullptr && s->session.n_past() == 0) s->session.set_system_prompt(system_prompt);
        const bitnet::Generation g =
            s->session.chat(user_message, generate_options(params), wrap(callback, user_data));
        return static_cast<int64_t>(g.tokens.size());
    });
}

}  // extern "C"
