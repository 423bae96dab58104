// The corpus tokenizer (data/tokenizer/spm4096.vocab, trained by spm_train) loaded as a GGUF-style
// "llama" vocabulary must make the engine's SentencePiece encoder give exactly the ids spm_encode
// gives, on every line of the held-out text (tests/train/data/val_spm_ids.txt.xz, made with
// `spm_encode --model=data/tokenizer/spm4096.model --output_format=id`).
#include "train/spm_vocab.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tokenizer/tokenizer.hpp"

namespace bitnet {
namespace {

std::vector<std::string> xz_lines(const std::string& path) {
    FILE* p = popen(("xz -dc '" + path + "'").c_str(), "r");
    if (p == nullptr) return {};
    std::string all;
    char buf[65536];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) all.append(buf, n);
    pclose(p);
    std::vector<std::string> lines;
    std::istringstream in(all);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

TEST(SpmVocab, EngineEncoderMatchesSpmEncodeOnEveryHeldOutLine) {
    const std::string src = BITNET_SOURCE_DIR;
    const Vocab v = load_vocab_file(src + "/data/tokenizer/spm4096.vocab");
    ASSERT_EQ(v.size(), 4096);
    EXPECT_EQ(v.model, "llama");
    const Tokenizer tok(v);
    const auto text = xz_lines(src + "/data/corpus/val.txt.xz");
    const auto ids = xz_lines(src + "/tests/train/data/val_spm_ids.txt.xz");
    ASSERT_GT(text.size(), 1000u);
    ASSERT_EQ(text.size(), ids.size());
    size_t tokens = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        std::vector<int32_t> want;
        std::istringstream in(ids[i]);
        for (int32_t id; in >> id;) want.push_back(id);
        ASSERT_EQ(tok.encode(text[i], false, false), want) << "line " << i + 1 << ": " << text[i].substr(0, 80);
        EXPECT_EQ(tok.decode(want), text[i]);
        tokens += want.size();
    }
    EXPECT_GT(tokens, 50000u);
}

TEST(SpmVocab, PieceTypes) {
    const Vocab v = vocab_from_spm_export("<unk>\t0\n<s>\t0\n</s>\t0\n<0x41>\t0\n\xE2\x96\x81the\t-1\n", "test");
    EXPECT_EQ(v.unk_id, 0);
    EXPECT_EQ(v.bos_id, 1);
    EXPECT_EQ(v.eos_id, 2);
    EXPECT_EQ(v.token_types[3], token_type::kByte);
    EXPECT_EQ(v.token_types[4], token_type::kNormal);
    EXPECT_EQ(v.scores[4], -1.0f);
}

TEST(SpmVocab, RejectsMalformedFiles) {
    EXPECT_THROW(vocab_from_spm_export("", "empty"), Error);
    EXPECT_THROW(vocab_from_spm_export("<unk>\t0\n<s>\tx\n</s>\t0\n", "bad score"), Error);
    EXPECT_THROW(vocab_from_spm_export("<unk> 0\n", "no tab"), Error);
    EXPECT_THROW(vocab_from_spm_export("<unk>\t0\na\t-1\n", "no bos"), Error);
    EXPECT_THROW(load_vocab_file("/nonexistent/vocab"), Error);
}

}  // namespace
}  // namespace bitnet
