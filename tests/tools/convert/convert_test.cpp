// `bitnet convert` on small hand-built checkpoints: a valid one converts, and every hostile or
// unsupported variant fails with an error naming the key, tensor or regex at fault.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "runtime/chat_format.hpp"
#include "runtime/loaded_model.hpp"
#include "tools/convert/convert.hpp"
#include "tools/convert/hf_config.hpp"
#include "tools/convert/hf_tokenizer.hpp"
#include "tools/convert/sentencepiece_model.hpp"
#include "tokenizer/byte_mapping.hpp"
#include "tools/convert/st_test_util.hpp"

using namespace bitnet;
using namespace bitnet::test;
using nlohmann::json;

namespace {

constexpr int64_t kHidden = 128, kFf = 256, kHeads = 2, kKv = 1, kHeadDim = 64, kVocab = 260;
constexpr const char* kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";

json config() {
    return {{"architectures", {"LlamaForCausalLM"}}, {"hidden_act", "silu"}, {"hidden_size", kHidden},
            {"intermediate_size", kFf}, {"num_hidden_layers", 1}, {"num_attention_heads", kHeads},
            {"num_key_value_heads", kKv}, {"head_dim", kHeadDim}, {"vocab_size", kVocab},
            {"rms_norm_eps", 1e-5}, {"rope_theta", 10000.0}, {"tie_word_embeddings", true},
            {"quantization_config", {{"quant_method", "bitnet"}}}};
}

json tokenizer() {
    json t;
    json vocab = json::object();
    for (int i = 0; i < 256; ++i) vocab[std::string(byte_to_mapped(static_cast<uint8_t>(i)))] = i;  // the bytes
    t["model"]["type"] = "BPE";
    t["model"]["vocab"] = vocab;
    t["model"]["merges"] = json::array({"a b", json::array({"c", "d"})});
    json added;
    added["id"] = 256;
    added["content"] = "<|endoftext|>";
    added["special"] = true;
    t["added_tokens"] = json::array({added});
    json split, bytelevel;
    split["type"] = "Split";
    split["pattern"]["Regex"] = kLlama3Regex;
    split["behavior"] = "Isolated";
    bytelevel["type"] = "ByteLevel";
    bytelevel["use_regex"] = false;
    t["pre_tokenizer"]["type"] = "Sequence";
    t["pre_tokenizer"]["pretokenizers"] = json::array({split, bytelevel});
    return t;
}

std::vector<uint8_t> floats(int64_t n, float v) { return f32_bytes(std::vector<float>(static_cast<size_t>(n), v)); }

// A packed projection: codes alternate -1, 0, +1; scale 2 (divides: alpha 0.5).
void packed(std::vector<StEntry>& e, const std::string& p, int64_t rows, int64_t cols) {
    std::vector<uint8_t> b(static_cast<size_t>(rows / 4 * cols));
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>((i % 3) | ((i + 1) % 3) << 2 | ((i + 2) % 3) << 4 | (i % 3) << 6);
    e.push_back({p + ".weight", "U8", {rows / 4, cols}, b});
    e.push_back({p + ".weight_scale", "F32", {1}, f32_bytes({2.0f})});
}

std::vector<StEntry> tensors() {
    std::vector<StEntry> e = {{"model.embed_tokens.weight", "F32", {kVocab, kHidden}, floats(kVocab * kHidden, 0.01f)},
                              {"model.norm.weight", "F32", {kHidden}, floats(kHidden, 1.0f)},
                              {"model.layers.0.input_layernorm.weight", "F32", {kHidden}, floats(kHidden, 1.0f)},
                              {"model.layers.0.post_attention_layernorm.weight", "F32", {kHidden}, floats(kHidden, 1.0f)}};
    const std::string p = "model.layers.0.";
    packed(e, p + "self_attn.q_proj", kHeads * kHeadDim, kHidden);
    packed(e, p + "self_attn.k_proj", kKv * kHeadDim, kHidden);
    packed(e, p + "self_attn.v_proj", kKv * kHeadDim, kHidden);
    packed(e, p + "self_attn.o_proj", kHidden, kHeads * kHeadDim);
    packed(e, p + "mlp.gate_proj", kFf, kHidden);
    packed(e, p + "mlp.up_proj", kFf, kHidden);
    packed(e, p + "mlp.down_proj", kHidden, kFf);
    return e;
}

struct Case {
    json cfg = config();
    json tok = tokenizer();
    std::vector<StEntry> ts = tensors();
    std::vector<uint8_t> st_override;  // replaces the safetensors image when set

    StEntry& tensor(const std::string& name) {
        for (StEntry& e : ts) {
            if (e.name == name) return e;
        }
        throw std::runtime_error("no tensor " + name);
    }
    std::string write(const std::string& name) const {
        const auto d = temp_dir(name);
        write_text(d / "config.json", cfg.dump());
        write_text(d / "tokenizer.json", tok.dump());
        write_file(d / "model.safetensors", st_override.empty() ? safetensors_bytes(ts) : st_override);
        return d.string();
    }
};

ConvertOptions options(const std::string& dir) {
    ConvertOptions o;
    o.input_dir = dir;
    o.output = dir + "/out.gguf";
    o.progress = false;
    return o;
}

void expect_refused(const Case& c, const std::string& needle) {
    // CTest runs the cases in parallel processes: one directory per case and call.
    static int n = 0;
    const std::string dir = c.write(std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())
                                        .append("_")
                                        .append(std::to_string(n++)));
    try {
        convert_checkpoint(options(dir));
        ADD_FAILURE() << "converted; expected an error containing: " << needle;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir + "/out.gguf"));
    std::filesystem::remove_all(dir);
}

}  // namespace

TEST(Convert, ValidCheckpoint) {
    const Case c;
    const std::string dir = c.write("ValidCheckpoint");
    ConvertOptions o = options(dir);
    o.input_dir += "/";
    const ConvertResult r = convert_checkpoint(o);
    EXPECT_EQ(r.arch, "ternary-llama");
    const GgufFile f = GgufFile::open(dir + "/out.gguf");
    EXPECT_EQ(f.get_string("general.name"), "bitnet_convert_test_ValidCheckpoint");
    EXPECT_EQ(f.get_uint("ternary-llama.attention.key_length"), 64u);
    EXPECT_EQ(f.get_string("tokenizer.ggml.pre"), "llama-bpe");
    const GgufValue& tokens = f.get_array("tokenizer.ggml.tokens", GgufType::STRING);
    EXPECT_EQ(tokens.count, static_cast<uint64_t>(kVocab));
    EXPECT_EQ(tokens.strings[256], "<|endoftext|>");
    EXPECT_EQ(tokens.strings[259], "[PAD259]");
    const GgufValue& merges = f.get_array("tokenizer.ggml.merges", GgufType::STRING);
    EXPECT_EQ(merges.strings[1], "c d");  // the pair form joined like the string form
    std::filesystem::remove_all(dir);
}

TEST(Convert, WrongDtypeForPackedTensor) {
    Case c;
    StEntry& w = c.tensor("model.layers.0.mlp.up_proj.weight");
    w.dtype = "I8";
    expect_refused(c, "'model.layers.0.mlp.up_proj.weight' has dtype I8, but a packed tensor (it has a weight_scale) must be U8");
}

TEST(Convert, ShapesDisagreeWithConfig) {
    Case c;
    c.cfg["intermediate_size"] = 512;
    expect_refused(c, "'model.layers.0.mlp.gate_proj.weight' has shape [64, 128] but config.json implies [128, 128]");
    Case d;
    d.cfg["vocab_size"] = 300;
    expect_refused(d, "'model.embed_tokens.weight' has shape [260, 128] but config.json implies [300, 128]");
}

TEST(Convert, PackedCodeThreeIsAnError) {
    Case c;
    c.tensor("model.layers.0.mlp.down_proj.weight").bytes[5] = 0xff;
    expect_refused(c, "'model.layers.0.mlp.down_proj.weight' byte [0, 5] holds the code 3");
}

TEST(Convert, HostileSafetensors) {
    Case c;
    const auto full = safetensors_bytes(c.ts);
    c.st_override.assign(full.begin(), full.end() - 100);
    expect_refused(c, "past the end of the data buffer");
    c.st_override = full;
    const uint64_t n = full.size();
    std::memcpy(c.st_override.data(), &n, 8);
    expect_refused(c, "runs past the end of the file");
}

TEST(Convert, UnsupportedConfigNamesTheKey) {
    const std::pair<std::function<void(json&)>, std::string> cases[] = {
        {[](json& j) { j["quantization_config"]["use_rms_norm"] = true; }, "quantization_config.use_rms_norm"},
        {[](json& j) { j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}}; }, "rope_scaling"},
        {[](json& j) { j["hidden_act"] = "gelu"; }, "hidden_act: 'gelu' is not supported"},
        {[](json& j) { j["attention_bias"] = true; }, "attention_bias"},
        {[](json& j) { j["quantization_config"]["linear_class"] = "fancy"; }, "quantization_config.linear_class"},
        {[](json& j) { j.erase("quantization_config"); }, "quantization_config: missing"},
        {[](json& j) { j["architectures"] = {"MistralForCausalLM"}; }, "architectures: 'MistralForCausalLM'"},
    };
    for (const auto& [edit, needle] : cases) {
        Case c;
        edit(c.cfg);
        expect_refused(c, needle);
    }
}

TEST(Convert, UnknownTensorIsRefused) {
    Case c;
    c.ts.push_back({"model.layers.0.self_attn.q_proj.bias", "F32", {128}, floats(128, 0.0f)});
    expect_refused(c, "tensor 'model.layers.0.self_attn.q_proj.bias' is not part of the ternary-llama architecture");
}

TEST(Convert, UnknownPreTokenizerRegexIsNamed) {
    Case c;
    c.tok["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+|\\s+";
    expect_refused(c, "unknown pre-tokenizer regex (supported: the Llama-3 and GPT-2 patterns): \\w+|\\s+");
}

TEST(Convert, TokenizerJsonForms) {
    json t = tokenizer();
    t["model"]["merges"] = {"a b c"};
    EXPECT_THROW(vocab_from_tokenizer_json(t.dump(), "x"), Error);
    t = tokenizer();
    t["model"]["type"] = "Unigram";
    EXPECT_THROW(vocab_from_tokenizer_json(t.dump(), "x"), Error);
    t = tokenizer();
    const Vocab v = vocab_from_tokenizer_json(t.dump(), "x");
    EXPECT_EQ(v.token_types[256], 3);  // special added token -> CONTROL
    EXPECT_EQ(v.merges, (std::vector<std::string>{"a b", "c d"}));
}

TEST(Convert, ScaleDirection) {
    EXPECT_FALSE(parse_hf_config(config().dump(), "c").scale_multiplies);  // bitlinear (default) divides
    json j = config();
    j["quantization_config"]["linear_class"] = "autobitlinear";
    EXPECT_TRUE(parse_hf_config(j.dump(), "c").scale_multiplies);
}

TEST(Convert, Falcon3ChatFormat) {
    Case c;
    const char* specials[] = {"<|system|>", "<|user|>", "<|assistant|>"};
    for (int i = 0; i < 3; ++i) {
        json a;
        a["id"] = 257 + i;
        a["content"] = specials[i];
        a["special"] = true;
        c.tok["added_tokens"].push_back(a);
    }
    c.cfg["eos_token_id"] = 256;  // <|endoftext|>
    const std::string dir = c.write("Falcon3ChatFormat");
    convert_checkpoint(options(dir));
    const auto model = LoadedModel::load(dir + "/out.gguf");
    const Tokenizer& tok = model->tokenizer;
    ASSERT_EQ(chat_format_for(*model), ChatFormat::falcon3);
    const std::vector<int32_t> ids =
        render_chat(tok, ChatFormat::falcon3, {{"system", "s"}, {"user", "u"}, {"assistant", "a"}, {"user", "v"}});
    // <|system|>\ns\n<|user|>\nu\n<|assistant|>\na<|endoftext|>\n<|user|>\nv\n<|assistant|>\n
    std::vector<int32_t> want;
    const auto text = [&](const char* t) {
        const auto v = tok.encode(t, false, false);
        want.insert(want.end(), v.begin(), v.end());
    };
    want.push_back(257), text("\ns"), text("\n");
    want.push_back(258), text("\nu"), text("\n");
    want.push_back(259), text("\na"), want.push_back(256), text("\n");
    want.push_back(258), text("\nv"), text("\n");
    want.push_back(259), text("\n");
    EXPECT_EQ(ids, want);
    EXPECT_EQ(chat_end_token(tok, ChatFormat::falcon3), 256);
    std::filesystem::remove_all(dir);
}

namespace {

// Protobuf wire format, enough to build a SentencePiece ModelProto.
std::string varint(uint64_t v) {
    std::string s;
    do {
        s += static_cast<char>((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v != 0);
    return s;
}
std::string field_bytes(int field, const std::string& b) { return varint(static_cast<uint64_t>(field) << 3 | 2) + varint(b.size()) + b; }
std::string field_varint(int field, uint64_t v) { return varint(static_cast<uint64_t>(field) << 3) + varint(v); }
std::string piece(const std::string& text, float score, int type) {
    std::string s = field_bytes(1, text) + varint(2 << 3 | 5);
    s.append(reinterpret_cast<const char*>(&score), 4);
    return s + field_varint(3, static_cast<uint64_t>(type));
}
std::string spm_model(uint64_t model_type, const std::string& rule, bool remove_ws) {
    std::string m = field_bytes(1, piece("<unk>", 0, 2)) + field_bytes(1, piece("<s>", 0, 3)) +
                    field_bytes(1, piece("</s>", 0, 3)) + field_bytes(1, piece("\xe2\x96\x81" "a", -1.5f, 1));
    m += field_bytes(2, field_varint(3, model_type) + field_varint(40, 0) + field_varint(41, 1) + field_varint(42, 2) +
                            field_varint(43, static_cast<uint64_t>(-1)));
    m += field_bytes(3, field_bytes(1, rule) + field_varint(3, 1) + field_varint(4, remove_ws ? 1 : 0));
    return m;
}

}  // namespace

TEST(Convert, SentencePieceModel) {
    const Vocab v = vocab_from_sentencepiece(spm_model(2, "identity", false), "m");
    EXPECT_EQ(v.model, "llama");
    EXPECT_EQ(v.tokens, (std::vector<std::string>{"<unk>", "<s>", "</s>", "\xe2\x96\x81" "a"}));
    EXPECT_EQ(v.token_types, (std::vector<int32_t>{2, 3, 3, 1}));
    EXPECT_EQ(v.scores[3], -1.5f);
    EXPECT_EQ(v.bos_id, 1);
    EXPECT_EQ(v.eos_id, 2);
    EXPECT_EQ(v.pad_id, -1);  // the 10-byte varint of -1
    const auto refused = [](const std::string& bytes, const std::string& needle) {
        try {
            vocab_from_sentencepiece(bytes, "m");
            ADD_FAILURE() << "accepted; expected: " << needle;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    refused(spm_model(1, "identity", false), "trainer_spec.model_type UNIGRAM is not supported");
    refused(spm_model(2, "nmt_nfkc", false), "normalizer_spec.name 'nmt_nfkc' is not supported");
    refused(spm_model(2, "identity", true), "remove_extra_whitespaces = true is not supported");
    // Every truncation is an error or a shorter valid model, never a crash.
    const std::string full = spm_model(2, "identity", false);
    for (size_t cut = 0; cut < full.size(); ++cut) {
        try {
            vocab_from_sentencepiece(full.substr(0, cut), "m");
        } catch (const Error&) {
        }
    }
    refused(full.substr(0, 5), "not a SentencePiece model");
}
