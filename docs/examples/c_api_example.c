/* Generate a completion with the C API. */
#include <bitnet/bitnet.h>
#include <stdio.h>
#include <string.h>

static int print_text(const char* text, size_t len, void* user_data) {
    (void)user_data;
    fwrite(text, 1, len, stdout);
    return 1; /* 0 would stop generation */
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: c_api_example MODEL.gguf\n");
        return 2;
    }
    bitnet_model* model = bitnet_model_load(argv[1], NULL);
    if (!model) {
        fprintf(stderr, "error: %s\n", bitnet_last_error());
        return 1;
    }
    bitnet_session_params sp = {.n_ctx = 256, .n_batch = 0, .n_threads = 2, .kv_cache_f32 = 0};
    bitnet_session* session = bitnet_session_new(model, &sp);
    if (!session) {
        fprintf(stderr, "error: %s\n", bitnet_last_error());
        bitnet_model_free(model);
        return 1;
    }
    bitnet_generate_params gp = bitnet_generate_default_params();
    gp.max_tokens = 16;
    gp.seed = 42;
    const char* prompt = "Once upon a time";
    int64_t n = bitnet_generate(session, prompt, strlen(prompt), &gp, print_text, NULL);
    if (n < 0)
        fprintf(stderr, "error: %s\n", bitnet_last_error());
    else
        printf("\n[%lld tokens]\n", (long long)n);
    bitnet_session_free(session);
    bitnet_model_free(model);
    return n < 0;
}
