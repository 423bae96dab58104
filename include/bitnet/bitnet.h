/* bitnet — C API for FFI (Python ctypes, Rust, Go, ...). Every function that can fail returns
 * NULL or a negative number and leaves a message for bitnet_last_error() (per thread). Objects
 * are opaque; free what you create. A model can be shared by several sessions; a session is
 * used by one thread at a time. */
#ifndef BITNET_H
#define BITNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bitnet_model bitnet_model;
typedef struct bitnet_session bitnet_session;

/* The message of the last failure on this thread ("" if none). */
const char* bitnet_last_error(void);
const char* bitnet_version(void);

typedef struct {
    int n_threads;            /* load-time conversion threads; 0: all cores */
    const char* weight_layout; /* NULL or "auto", "bits2", "base3" */
    const char* head_type;     /* NULL or "f16", "q8_0", "q6_k" */
    int use_mmap;              /* nonzero: weights in place from the file mapping (faster start, slower decode) */
} bitnet_model_params;

/* params may be NULL for defaults. */
bitnet_model* bitnet_model_load(const char* path, const bitnet_model_params* params);
void bitnet_model_free(bitnet_model* model);
int32_t bitnet_model_n_vocab(const bitnet_model* model);
int64_t bitnet_model_n_ctx_train(const bitnet_model* model);
int32_t bitnet_token_bos(const bitnet_model* model);
int32_t bitnet_token_eos(const bitnet_model* model);
int32_t bitnet_token_eot(const bitnet_model* model);
int bitnet_token_is_eog(const bitnet_model* model, int32_t token);

/* Tokenizes len bytes of text into out (capacity cap). Returns the number of tokens; if that is
 * more than cap, nothing is written and the caller retries with a larger buffer. -1 on error. */
int64_t bitnet_tokenize(const bitnet_model* model, const char* text, size_t len, int add_bos, int parse_special,
                        int32_t* out, size_t cap);
/* Writes the raw bytes of the token into buf (capacity cap, not NUL-terminated). Returns the
 * byte count (retry with a larger buffer if more than cap), -1 on error. */
int64_t bitnet_token_to_bytes(const bitnet_model* model, int32_t token, char* buf, size_t cap);

typedef struct {
    int64_t n_ctx;   /* 0: the model's, capped by memory */
    int64_t n_batch; /* 0: 512 */
    int n_threads;   /* 0: all cores */
    int kv_cache_f32;
} bitnet_session_params;

bitnet_session* bitnet_session_new(const bitnet_model* model, const bitnet_session_params* params);
void bitnet_session_free(bitnet_session* session);
int bitnet_session_reset(bitnet_session* session);
int64_t bitnet_session_n_past(const bitnet_session* session);
int64_t bitnet_session_n_ctx(const bitnet_session* session);

/* Evaluates tokens after those already in the session. 0 on success, -1 on error. */
int bitnet_session_decode(bitnet_session* session, const int32_t* tokens, size_t n);
/* Next-token logits of the last decoded token (n_vocab floats), valid until the next call. */
const float* bitnet_session_logits(const bitnet_session* session);

typedef struct {
    float temperature; /* <= 0: greedy */
    int32_t top_k;
    float top_p;
    float min_p;
    float repeat_penalty;
    int32_t repeat_last_n;
    float frequency_penalty;
    float presence_penalty;
    uint64_t seed;
    int32_t max_tokens; /* -1: until an end token or a full context */
} bitnet_generate_params;

bitnet_generate_params bitnet_generate_default_params(void);

/* Receives streamed text (whole UTF-8 characters, not NUL-terminated); return 0 to stop. */
typedef int (*bitnet_text_callback)(const char* text, size_t len, void* user_data);

/* Completes the prompt (after anything already in the session). Returns the number of
 * generated tokens, -1 on error. */
int64_t bitnet_generate(bitnet_session* session, const char* prompt, size_t len, const bitnet_generate_params* params,
                        bitnet_text_callback callback, void* user_data);
/* One chat turn in the model's trained format; the conversation stays in the session. */
int64_t bitnet_chat(bitnet_session* session, const char* system_prompt, const char* user_message,
                    const bitnet_generate_params* params, bitnet_text_callback callback, void* user_data);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_H */
