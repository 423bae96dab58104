// `bitnet quantize`: ternary re-encoding keeps every ternary value (and every scale the target can
// hold exactly); the head report measures the requantization; what cannot be kept is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "tools/quantize.hpp"
#include "tools/synth.hpp"
#include "tools/ternary_codec.hpp"

using namespace bitnet;

namespace {

// Per test case: CTest runs the cases as parallel processes.
std::string tmp(const std::string& name) {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    return (std::filesystem::temp_directory_path() / ("bitnet_quantize_" + test + "_" + name)).string();
}

// Removes this test case's files (called at the end of each case).
void cleanup() {
    const std::string prefix =
        std::string("bitnet_quantize_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_";
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path())) {
        if (e.path().filename().string().starts_with(prefix)) std::filesystem::remove(e.path());
    }
}

std::string synth_model() {
    static const std::string path = [] {
        SynthOptions o;
        o.output = tmp("src.gguf");
        o.progress = false;
        o.n_threads = 1;
        synthesize(o);
        return o.output;
    }();
    return path;
}

std::string quantize(const std::string& in, GgmlType type, const std::string& name) {
    QuantizeOptions o;
    o.input = in;
    o.output = tmp(name);
    o.type = type;
    o.progress = false;
    quantize_model(o);
    return o.output;
}

// Every ternary tensor of b has a's values; scales equal within `tolerance` (relative).
void expect_same_ternary(const std::string& a, const std::string& b, double tolerance) {
    const GgufFile fa = GgufFile::open(a), fb = GgufFile::open(b);
    int n = 0;
    for (const GgufTensor& ta : fa.tensors()) {
        if (!type_traits(ta.type).ternary) continue;
        const GgufTensor& tb = fb.tensor(std::string(ta.name));
        const std::string name(ta.name);
        const TernaryGroups ga = decode_ternary(ta.type, ta.data, ta.ne[0], ta.ne[1], name);
        const TernaryGroups gb = decode_ternary(tb.type, tb.data, tb.ne[0], tb.ne[1], name);
        ASSERT_EQ(ga.values, gb.values) << name;
        for (size_t i = 0; i < ga.values.size(); i += 64) {
            const double sa = ga.scales[i / static_cast<size_t>(ga.group)], sb = gb.scales[i / static_cast<size_t>(gb.group)];
            EXPECT_LE(std::fabs(sa - sb), tolerance * std::fabs(sa)) << name << " element " << i;
        }
        ++n;
    }
    EXPECT_EQ(n, 14);
}

}  // namespace

TEST(Quantize, EveryTernaryTypeKeepsTheValues) {
    const std::string src = synth_model();
    // f32 scales (I2_S, IQ2_BN) are kept exactly; f16 ones (TQ*, IQ1_BN) round once.
    for (GgmlType t : {GgmlType::IQ2_BN, GgmlType::I2_S}) expect_same_ternary(src, quantize(src, t, "a.gguf"), 0.0);
    for (GgmlType t : {GgmlType::TQ2_0, GgmlType::TQ1_0, GgmlType::IQ1_BN}) {
        expect_same_ternary(src, quantize(src, t, "b.gguf"), 1.0 / 2048);
    }
    // Between f16-scale types nothing rounds: TQ1_0 -> IQ1_BN -> TQ2_0 -> TQ1_0 is exact.
    const std::string tq1 = quantize(src, GgmlType::TQ1_0, "tq1.gguf");
    const std::string iq1 = quantize(tq1, GgmlType::IQ1_BN, "iq1.gguf");
    const std::string tq2 = quantize(iq1, GgmlType::TQ2_0, "tq2.gguf");
    expect_same_ternary(tq1, tq2, 0.0);
    expect_same_ternary(tq1, quantize(tq2, GgmlType::TQ1_0, "tq1b.gguf"), 0.0);
    cleanup();
}

TEST(Quantize, RoundTripIsByteIdentical) {
    const std::string src = synth_model();
    const std::string back = quantize(quantize(src, GgmlType::IQ2_BN, "iq2.gguf"), GgmlType::I2_S, "back.gguf");
    ASSERT_EQ(std::filesystem::file_size(src), std::filesystem::file_size(back));
    const GgufFile a = GgufFile::open(src), b = GgufFile::open(back);
    for (const GgufTensor& t : a.tensors()) {
        const GgufTensor& u = b.tensor(std::string(t.name));
        ASSERT_EQ(t.nbytes, u.nbytes);
        EXPECT_EQ(std::memcmp(t.data, u.data, t.nbytes), 0) << t.name;
    }
    cleanup();
}

TEST(Quantize, HeadReport) {
    QuantizeOptions o;
    o.input = synth_model();
    o.output = tmp("head.gguf");
    o.type = GgmlType::I2_S;
    o.head_type = GgmlType::Q6_K;
    o.progress = false;
    const QuantizeResult r = quantize_model(o);
    ASSERT_EQ(r.head.size(), 1u);
    EXPECT_EQ(r.head[0].name, "token_embd.weight");
    EXPECT_GT(r.head[0].rmse, 0.0);
    EXPECT_GE(r.head[0].max_error, r.head[0].rmse);
    EXPECT_LT(r.head[0].rmse, 0.01);  // embeddings of std 0.05
    EXPECT_LT(r.output_bytes, r.input_bytes);
    EXPECT_EQ(GgufFile::open(o.output).tensor("token_embd.weight").type, GgmlType::Q6_K);
    cleanup();
}

TEST(Quantize, DifferentScalesInOneTargetGroupAreRefused) {
    TernaryGroups t;
    t.values.assign(512, 1);
    t.scales = {0.5f, 0.25f};  // two TQ blocks of one row
    t.group = 256;
    std::vector<uint8_t> out(512 / 4 + 32);
    try {
        encode_ternary(GgmlType::I2_S, t, 512, 1, out.data(), "w");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tensor 'w': its scales differ within one i2_s scale group"), std::string::npos)
            << e.what();
    }
    t.values.assign(256, 0);  // an all-zero block takes no part
    t.values.resize(512, 1);
    encode_ternary(GgmlType::I2_S, t, 512, 1, out.data(), "w");
}
