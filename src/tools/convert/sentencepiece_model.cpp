#include "tools/convert/sentencepiece_model.hpp"

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace bitnet {

namespace {

// Bounds-checked protobuf wire-format reader over one message.
class Proto {
public:
    Proto(std::string_view b, const std::string& name) : b_(b), name_(name) {}
    bool done() const { return pos_ >= b_.size(); }

    uint64_t varint() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (done()) bad("truncated varint");
            const auto byte = static_cast<uint8_t>(b_[pos_++]);
            v |= static_cast<uint64_t>(byte & 0x7f) << shift;
            if ((byte & 0x80) == 0) return v;
        }
        bad("varint longer than 10 bytes");
    }
    std::string_view bytes() {
        const uint64_t n = varint();
        if (n > b_.size() - pos_) bad("length-delimited field runs past the end");
        const std::string_view s = b_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    float fixed32() {
        if (b_.size() - pos_ < 4) bad("truncated fixed32");
        float f;
        std::memcpy(&f, b_.data() + pos_, 4);
        pos_ += 4;
        return f;
    }
    void skip(uint32_t wire) {
        switch (wire) {
            case 0: varint(); break;
            case 1: if (b_.size() - pos_ < 8) bad("truncated fixed64"); pos_ += 8; break;
            case 2: bytes(); break;
            case 5: fixed32(); break;
            default: bad(strprintf("unknown wire type %u", wire));
        }
    }
    [[noreturn]] void bad(const std::string& what) const {
        fail(strprintf("%s: not a SentencePiece model: %s at byte %zu", name_.c_str(), what.c_str(), pos_));
    }

private:
    std::string_view b_;
    const std::string& name_;
    size_t pos_ = 0;
};

// SentencePiece { string piece = 1; float score = 2; Type type = 3; } (type NORMAL by default;
// its values are llama.cpp's token types).
void read_piece(std::string_view msg, const std::string& name, Vocab& v) {
    Proto p(msg, name);
    std::string piece;
    float score = 0.0f;
    uint64_t type = token_type::kNormal;
    while (!p.done()) {
        const uint64_t key = p.varint();
        const uint64_t field = key >> 3;
        const auto wire = static_cast<uint32_t>(key & 7);
        if (field == 1 && wire == 2) piece = std::string(p.bytes());
        else if (field == 2 && wire == 5) score = p.fixed32();
        else if (field == 3 && wire == 0) type = p.varint();
        else p.skip(wire);
    }
    if (type < token_type::kNormal || type > token_type::kByte) p.bad(strprintf("piece '%s' has unknown type %llu", piece.c_str(), static_cast<unsigned long long>(type)));
    v.tokens.push_back(piece);
    v.scores.push_back(score);
    v.token_types.push_back(static_cast<int32_t>(type));
}

// TrainerSpec: model_type = 3 (1 UNIGRAM, 2 BPE), unk_id = 40, bos_id = 41, eos_id = 42, pad_id = 43.
void read_trainer(std::string_view msg, const std::string& name, Vocab& v, uint64_t& model_type) {
    Proto p(msg, name);
    while (!p.done()) {
        const uint64_t key = p.varint();
        const uint64_t field = key >> 3;
        const auto wire = static_cast<uint32_t>(key & 7);
        if (wire != 0) { p.skip(wire); continue; }
        const uint64_t x = p.varint();
        const auto id = static_cast<int32_t>(static_cast<int64_t>(x));  // int32 fields: -1 is 10 bytes
        if (field == 3) model_type = x;
        else if (field == 40) v.unk_id = id;
        else if (field == 41) v.bos_id = id;
        else if (field == 42) v.eos_id = id;
        else if (field == 43) v.pad_id = id;
    }
}

// NormalizerSpec: name = 1, add_dummy_prefix = 3, remove_extra_whitespaces = 4 (default true).
// The engine's encoder does no normalization, so only Llama-2's "identity" rule is accepted.
void read_normalizer(std::string_view msg, const std::string& name, Vocab& v) {
    Proto p(msg, name);
    std::string rule;
    bool remove_extra_whitespaces = true;
    while (!p.done()) {
        const uint64_t key = p.varint();
        const uint64_t field = key >> 3;
        const auto wire = static_cast<uint32_t>(key & 7);
        if (field == 1 && wire == 2) rule = std::string(p.bytes());
        else if (field == 3 && wire == 0) v.add_space_prefix = p.varint() != 0;
        else if (field == 4 && wire == 0) remove_extra_whitespaces = p.varint() != 0;
        else p.skip(wire);
    }
    if (rule != "identity") {
        fail(name + ": normalizer_spec.name '" + rule + "' is not supported (only 'identity', as in Llama-2's model)");
    }
    if (remove_extra_whitespaces) fail(name + ": normalizer_spec.remove_extra_whitespaces = true is not supported");
}

}  // namespace

Vocab vocab_from_sentencepiece(std::string_view bytes, const std::string& name) {
    Vocab v;
    v.model = "llama";
    v.unk_id = 0;  // the trainer spec's defaults
    v.bos_id = 1;
    v.eos_id = 2;
    uint64_t model_type = 1;
    Proto p(bytes, name);
    while (!p.done()) {
        const uint64_t key = p.varint();
        const uint64_t field = key >> 3;
        const auto wire = static_cast<uint32_t>(key & 7);
        if (wire == 2 && field == 1) read_piece(p.bytes(), name, v);
        else if (wire == 2 && field == 2) read_trainer(p.bytes(), name, v, model_type);
        else if (wire == 2 && field == 3) read_normalizer(p.bytes(), name, v);
        else p.skip(wire);
    }
    if (v.tokens.empty()) fail(name + ": the SentencePiece model has no pieces");
    if (model_type != 2) {
        fail(strprintf("%s: trainer_spec.model_type %s is not supported (only BPE SentencePiece models)", name.c_str(),
                       model_type == 1 ? "UNIGRAM" : std::to_string(model_type).c_str()));
    }
    const auto check = [&](int32_t id, const char* what) {
        if (id >= v.size()) fail(strprintf("%s: trainer_spec.%s %d is not a piece id", name.c_str(), what, id));
    };
    check(v.unk_id, "unk_id");
    check(v.bos_id, "bos_id");
    check(v.eos_id, "eos_id");
    check(v.pad_id, "pad_id");
    v.add_bos = true;
    return v;
}

Vocab vocab_from_sentencepiece_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return vocab_from_sentencepiece(ss.str(), path);
}

}  // namespace bitnet
