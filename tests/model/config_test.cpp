#include <gtest/gtest.h>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "model/config.hpp"

using namespace bitnet;

namespace {

GgufWriter base(const std::string& arch = "bitnet-b1.58") {
    GgufWriter w;
    w.set_string("general.architecture", arch);
    w.set_u32(arch + ".embedding_length", 2560);
    w.set_u32(arch + ".block_count", 30);
    w.set_u32(arch + ".feed_forward_length", 6912);
    w.set_u32(arch + ".attention.head_count", 20);
    w.set_u32(arch + ".attention.head_count_kv", 5);
    w.set_u32(arch + ".context_length", 4096);
    w.set_u32(arch + ".rope.dimension_count", 128);
    w.set_f32(arch + ".rope.freq_base", 500000.0f);
    w.set_f32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
    return w;
}

std::string error_of(const GgufWriter& w) {
    const auto bytes = w.to_bytes();
    try {
        read_model_config(GgufFile::parse(bytes.data(), bytes.size(), "m.gguf"));
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

ModelConfig config_of(const GgufWriter& w) {
    const auto bytes = w.to_bytes();
    return read_model_config(GgufFile::parse(bytes.data(), bytes.size(), "m.gguf"));
}

}  // namespace

TEST(ModelConfig, OfficialHyperParameters) {
    const ModelConfig c = config_of(base());
    ASSERT_NE(c.arch, nullptr);
    EXPECT_STREQ(c.arch->name, "bitnet-b1.58");
    EXPECT_EQ(c.arch, find_architecture("bitnet-b1.58"));
    EXPECT_EQ(c.ffn_act, FfnActivation::relu_sqr);
    EXPECT_EQ(c.head_dim, 128);
    EXPECT_EQ(c.kv_dim(), 640);
    EXPECT_EQ(c.gqa_group(), 4);
    EXPECT_EQ(c.rope_theta, 500000.0f);
    EXPECT_EQ(c.n_ctx_train, 4096);
}

TEST(ModelConfig, ArchitectureVariants) {
    EXPECT_EQ(config_of(base("bitnet-25")).ffn_act, FfnActivation::relu_sqr);
    EXPECT_EQ(config_of(base("bitnet")).ffn_act, FfnActivation::silu);
    GgufWriter relu = base("bitnet");
    relu.set_string("bitnet.hidden_activation", "relu2");
    EXPECT_EQ(config_of(relu).ffn_act, FfnActivation::relu_sqr);
    GgufWriter unknown = base();
    unknown.set_string("bitnet-b1.58.hidden_activation", "gelu");
    EXPECT_NE(error_of(unknown).find("hidden_activation 'gelu' is not supported"), std::string::npos)
        << error_of(unknown);
    GgufWriter w = base();
    w.set_string("bitnet-b1.58.hidden_activation", "silu");  // mainline's wrong default must not win
    EXPECT_EQ(config_of(w).ffn_act, FfnActivation::relu_sqr);
    const std::string err = error_of(base("llama"));
    EXPECT_NE(err.find("unsupported model architecture 'llama'"), std::string::npos) << err;
    EXPECT_NE(err.find("(supported: bitnet-b1.58, bitnet-25, bitnet, ternary-llama)"), std::string::npos) << err;
}

TEST(ModelConfig, MissingOrInconsistentKeysAreNamed) {
    GgufWriter w = base();
    w.remove("bitnet-b1.58.block_count");
    EXPECT_NE(error_of(w).find("missing metadata key 'bitnet-b1.58.block_count'"), std::string::npos) << error_of(w);

    w = base();
    w.set_u32("bitnet-b1.58.attention.head_count", 21);
    EXPECT_NE(error_of(w).find("not divisible by bitnet-b1.58.attention.head_count"), std::string::npos) << error_of(w);

    w = base();
    w.set_u32("bitnet-b1.58.attention.head_count_kv", 3);
    EXPECT_NE(error_of(w).find("head_count_kv"), std::string::npos) << error_of(w);

    w = base();
    w.set_u32("bitnet-b1.58.rope.dimension_count", 64);
    EXPECT_NE(error_of(w).find("rope.dimension_count"), std::string::npos) << error_of(w);

    w = base();
    w.set_string("bitnet-b1.58.embedding_length", "2560");
    EXPECT_NE(error_of(w).find("has type string"), std::string::npos) << error_of(w);

    w = base();
    w.set_u32("bitnet-b1.58.block_count", 0);
    EXPECT_NE(error_of(w).find("invalid value 0"), std::string::npos) << error_of(w);

    w = base();
    w.set_f32("bitnet-b1.58.rope.freq_base", -1.0f);
    EXPECT_NE(error_of(w).find("freq_base"), std::string::npos) << error_of(w);
}
