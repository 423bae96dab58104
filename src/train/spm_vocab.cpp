#include "train/spm_vocab.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"

namespace bitnet {

namespace {

bool is_byte_piece(std::string_view p) {
    auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
    return p.size() == 6 && p.substr(0, 3) == "<0x" && hex(p[3]) && hex(p[4]) && p[5] == '>';
}

}  // namespace

Vocab vocab_from_spm_export(std::string_view text, const std::string& name) {
    Vocab v;
    v.model = "llama";
    size_t line_no = 0;
    for (size_t pos = 0; pos < text.size();) {
        const size_t end = std::min(text.find('\n', pos), text.size());
        const std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (line.empty()) continue;
        const size_t tab = line.rfind('\t');
        if (tab == std::string_view::npos || tab == 0) fail(strprintf("%s:%zu: expected 'piece<TAB>score'", name.c_str(), line_no));
        const std::string piece(line.substr(0, tab)), score_text(line.substr(tab + 1));
        char* stop = nullptr;
        errno = 0;
        const float score = std::strtof(score_text.c_str(), &stop);
        if (errno != 0 || stop == score_text.c_str() || *stop != '\0') {
            fail(strprintf("%s:%zu: '%s' is not a score", name.c_str(), line_no, score_text.c_str()));
        }
        const auto id = static_cast<int32_t>(v.tokens.size());
        int32_t type = token_type::kNormal;
        if (piece == "<unk>") {
            type = token_type::kUnknown;
            v.unk_id = id;
        } else if (piece == "<s>") {
            type = token_type::kControl;
            v.bos_id = id;
        } else if (piece == "</s>") {
            type = token_type::kControl;
            v.eos_id = id;
        } else if (is_byte_piece(piece)) {
            type = token_type::kByte;
        }
        v.tokens.push_back(piece);
        v.scores.push_back(score);
        v.token_types.push_back(type);
    }
    if (v.tokens.empty()) fail(name + ": the vocabulary is empty");
    if (v.bos_id < 0 || v.eos_id < 0) fail(name + ": the vocabulary has no <s> and </s> pieces");
    v.add_bos = true;
    v.add_space_prefix = true;
    return v;
}

Vocab load_vocab_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(strprintf("cannot open the vocabulary %s", path.c_str()));
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    if (text.compare(0, 4, "GGUF") == 0) return vocab_from_gguf(GgufFile::open(path));
    return vocab_from_spm_export(text, path);
}

}  // namespace bitnet
