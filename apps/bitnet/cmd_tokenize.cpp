#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "cli_common.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "tokenizer/tokenizer.hpp"

namespace bitnet::cli {

namespace {

// JSON string literal of arbitrary bytes (invalid UTF-8 bytes as \u00XX of the byte value).
std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += strprintf("\\u%04x", c);
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

}  // namespace

Action add_tokenize(CLI::App& app) {
    struct Options {
        std::string model, prompt, file;
        bool has_prompt = false, ids = false, pieces = false, no_bos = false, parse_special = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("tokenize", "Show how a text is tokenized by a model's tokenizer");
    cmd->add_option("-m,--model", o->model, "Model file (GGUF); only its tokenizer is read")->required();
    CLI::Option* p = cmd->add_option("-p,--prompt", o->prompt, "Text to tokenize");
    CLI::Option* f = cmd->add_option("-f,--file", o->file, "Tokenize this file's bytes exactly as they are");
    p->excludes(f);
    cmd->add_flag("--ids", o->ids, "Print only a JSON array of token ids");
    cmd->add_flag("--pieces", o->pieces, "Print a JSON array of the token pieces (text) instead");
    cmd->add_flag("--no-bos", o->no_bos, "Do not add the beginning-of-text token");
    cmd->add_flag("--parse-special", o->parse_special, "Turn special-token text like <|eot_id|> into its token");
    return [o, p, f] {
        if (p->count() == 0 && f->count() == 0) fail("give the text with -p TEXT or -f FILE");
        const std::string text = f->count() ? read_file(o->file) : o->prompt;
        const GgufFile file = GgufFile::open(o->model);
        const Tokenizer tok = Tokenizer::from_gguf(file);
        const std::vector<int32_t> ids = tok.encode(text, tok.add_bos_default() && !o->no_bos, o->parse_special);
        std::string out;
        if (o->ids || o->pieces) {
            out = "[";
            for (size_t i = 0; i < ids.size(); ++i) {
                if (i) out += ", ";
                out += o->ids ? std::to_string(ids[i]) : json_string(tok.token_view(ids[i]));
            }
            out += "]\n";
        } else {
            for (int32_t id : ids) out += strprintf("%6d -> %s\n", id, json_string(tok.token_view(id)).c_str());
            out += strprintf("%zu tokens\n", ids.size());
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
        return 0;
    };
}

}  // namespace bitnet::cli
