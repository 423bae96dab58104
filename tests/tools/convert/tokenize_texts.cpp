// tokenize_texts MODEL.gguf TEXTS.json: the ids of every text of a JSON array of strings through the
// model's tokenizer (no BOS, special-token text not matched), one JSON array per line. Lets the
// Hugging Face tokenizer comparison (hf_tokenizers_test.mjs) run hundreds of texts in one process.
#include <cstdio>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gguf/gguf_file.hpp"
#include "tokenizer/tokenizer.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: tokenize_texts MODEL.gguf TEXTS.json\n");
        return 2;
    }
    try {
        const bitnet::GgufFile f = bitnet::GgufFile::open(argv[1]);
        const bitnet::Tokenizer tok = bitnet::Tokenizer::from_gguf(f);
        std::ifstream in(argv[2]);
        const nlohmann::json texts = nlohmann::json::parse(in);
        for (const auto& t : texts) {
            std::printf("%s\n", nlohmann::json(tok.encode(t.get<std::string>(), false, false)).dump().c_str());
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tokenize_texts: %s\n", e.what());
        return 1;
    }
}
