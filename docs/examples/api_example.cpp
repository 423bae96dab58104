// Generate a completion and hold a short chat with the C++ API.
// Build: g++ -std=c++20 api_example.cpp -I include -L build/lib -lbitnet -lpcre2-8 -pthread
#include <bitnet/bitnet.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: api_example MODEL.gguf\n";
        return 2;
    }
    try {
        std::shared_ptr<bitnet::Model> model = bitnet::Model::load(argv[1]);
        const bitnet::ModelInfo info = model->info();
        std::cout << info.architecture << ", " << info.n_layer << " layers, vocabulary " << info.n_vocab << "\n";

        bitnet::Session session(model, {.n_ctx = 256, .n_threads = 2});
        bitnet::GenerateOptions options;
        options.max_tokens = 16;
        options.sampling.seed = 42;  // same seed, same text
        bitnet::Generation g = session.generate("Once upon a time", options, [](std::string_view text) {
            std::cout << text << std::flush;  // streamed as it is generated
            return true;                      // false would stop generation
        });
        std::cout << "\n[" << g.tokens.size() << " tokens, stop: " << g.stop_reason << "]\n";

        bitnet::Session chat(model, {.n_ctx = 256});
        chat.set_system_prompt("You are a helpful assistant.");
        options.max_tokens = 8;
        bitnet::Generation reply = chat.chat("Hello!", options);
        std::cout << "assistant [" << reply.tokens.size() << " tokens]: " << reply.text << "\n";
    } catch (const bitnet::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
