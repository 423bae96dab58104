#include "test_data.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "tokenizer/byte_mapping.hpp"

namespace bitnet::test {

std::string tokenizer_data_dir() { return std::string(BITNET_TEST_DATA_DIR) + "/tokenizer"; }

const std::vector<TokVector>& llama3_vectors() {
    static const std::vector<TokVector> vectors = [] {
        const std::string path = tokenizer_data_dir() + "/llama3-public.jsonl";
        std::ifstream in(path);
        if (!in) throw std::runtime_error("cannot open " + path);
        std::vector<TokVector> out;
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            const nlohmann::json j = nlohmann::json::parse(line);
            TokVector v;
            v.text = j.at("text").get<std::string>();
            v.ids = j.at("ids").get<std::vector<int32_t>>();
            v.special = j.at("special").get<bool>();
            out.push_back(std::move(v));
        }
        return out;
    }();
    return vectors;
}

const Vocab& llama3_vocab() {
    static const Vocab vocab = vocab_from_tiktoken(tokenizer_data_dir() + "/llama3.tiktoken");
    return vocab;
}

const Tokenizer& llama3_tokenizer() {
    static const Tokenizer tok(llama3_vocab());
    return tok;
}

Vocab tiny_bpe_vocab() {
    Vocab v;
    v.model = "gpt2";
    v.pre = "gpt2";
    for (int b = 0; b < 256; ++b) v.tokens.push_back(std::string(byte_to_mapped(static_cast<uint8_t>(b))));
    for (const char* t : {"ab", "abc", "Ġab"}) v.tokens.emplace_back(t);
    v.tokens.emplace_back("<s>");
    v.tokens.emplace_back("</s>");
    v.scores.assign(v.tokens.size(), 0.0f);
    v.token_types.assign(v.tokens.size(), token_type::kNormal);
    v.token_types[259] = token_type::kControl;
    v.token_types[260] = token_type::kControl;
    v.merges = {"a b", "ab c", "Ġ ab"};
    v.bos_id = 259;
    v.eos_id = 260;
    v.add_bos = true;
    return v;
}

Vocab gguf_round_trip(const Vocab& vocab, bool include_pre, std::vector<uint8_t>& image) {
    GgufWriter w;
    w.set_string("general.architecture", "bitnet-b1.58");
    write_vocab(w, vocab, include_pre);
    image = w.to_bytes();
    const GgufFile f = GgufFile::parse(image.data(), image.size(), "roundtrip.gguf");
    return vocab_from_gguf(f);
}

std::string show_text(std::string_view text) {
    std::string out = "\"";
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c < 0x20 || c == 0x7F) {
            out += strprintf("\\x%02x", c);
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

std::string show_ids(const std::vector<int32_t>& ids) {
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) out += ", ";
        out += std::to_string(ids[i]);
    }
    return out + "]";
}

}  // namespace bitnet::test
