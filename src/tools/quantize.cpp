#include "tools/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "tools/ternary_codec.hpp"

namespace bitnet {

namespace {

bool is_ternary_target(GgmlType t) {
    return t == GgmlType::I2_S || t == GgmlType::TQ1_0 || t == GgmlType::TQ2_0 || t == GgmlType::IQ2_BN ||
           t == GgmlType::IQ1_BN;
}

// Re-encodes, then decodes what was written: values must be identical; scales may only round.
void reencode(const GgufTensor& t, GgmlType to, uint8_t* dst, double& max_scale_change) {
    const std::string name(t.name);
    const int64_t cols = t.ne[0], rows = t.n_rows();
    const TernaryGroups src = decode_ternary(t.type, t.data, cols, rows, name);
    encode_ternary(to, src, cols, rows, dst, name);
    const TernaryGroups out = decode_ternary(to, dst, cols, rows, name);
    if (out.values != src.values) fail("internal: re-encoding '" + name + "' changed ternary values");
    for (int64_t i = 0; i < cols * rows; i += std::min(src.group, out.group)) {
        if (src.values[static_cast<size_t>(i)] == 0) continue;
        const double a = src.scales[static_cast<size_t>(i / src.group)], b = out.scales[static_cast<size_t>(i / out.group)];
        max_scale_change = std::max(max_scale_change, std::fabs(b - a) / std::fabs(a));
    }
}

HeadReport requantize_head(const GgufTensor& t, GgmlType to, uint8_t* dst) {
    const int64_t cols = t.ne[0], rows = t.n_rows();
    const TypeTraits& tt = type_traits(to);
    if (tt.quantize_row == nullptr || cols % tt.block_size != 0) {
        fail(strprintf("--head-type %s cannot hold rows of %lld values", tt.name, static_cast<long long>(cols)));
    }
    HeadReport r{std::string(t.name), t.type, to, 0.0, 0.0};
    std::vector<float> row(static_cast<size_t>(cols)), back(static_cast<size_t>(cols));
    double sq = 0.0;
    const size_t stride = row_bytes(to, cols);
    for (int64_t i = 0; i < rows; ++i) {
        dequantize_rows(t.type, t.data, cols, t.n_elements(), i, 1, row.data());
        tt.quantize_row(row.data(), dst + static_cast<size_t>(i) * stride, cols);
        tt.dequantize_row(dst + static_cast<size_t>(i) * stride, back.data(), cols);
        for (int64_t k = 0; k < cols; ++k) {
            const double e = static_cast<double>(back[static_cast<size_t>(k)]) - row[static_cast<size_t>(k)];
            sq += e * e;
            r.max_error = std::max(r.max_error, std::fabs(e));
        }
    }
    r.rmse = std::sqrt(sq / static_cast<double>(cols * rows));
    return r;
}

}  // namespace

QuantizeResult quantize_model(const QuantizeOptions& o) {
    if (!is_ternary_target(o.type)) {
        fail(strprintf("quantize: TYPE %s is not a ternary type (i2_s, tq1_0, tq2_0, iq2_bn, iq1_bn)", type_name(o.type)));
    }
    if (o.head_type && (*o.head_type == GgmlType::I2_S || type_traits(*o.head_type).ternary)) {
        fail("quantize: --head-type must be a dense type (f32, f16, bf16, q8_0, q6_k)");
    }
    const GgufFile in = GgufFile::open(o.input);
    const std::string head_name = in.find_tensor("output.weight") ? "output.weight" : "token_embd.weight";
    GgufWriter w;
    for (const GgufKv& kv : in.metadata()) {
        if (kv.key == "general.alignment") w.set_alignment(static_cast<uint32_t>(kv.value.u));  // also lays out the data
        w.set_value(kv.key, kv.value);
    }
    w.set_u32("general.file_type", llama_file_type(o.type));

    QuantizeResult res;
    std::vector<HeadReport>& head = res.head;
    for (const GgufTensor& t : in.tensors()) {
        std::vector<int64_t> ne(t.ne, t.ne + t.n_dims);
        if (type_traits(t.type).ternary && t.n_dims == 2) {
            ++res.n_reencoded;
            w.add_tensor(std::string(t.name), o.type, ne, [&t, &o, &res](uint8_t* dst, size_t) {
                reencode(t, o.type, dst, res.max_scale_change);
            });
        } else if (o.head_type && t.name == head_name) {
            w.add_tensor(std::string(t.name), *o.head_type, ne,
                         [&t, &o, &head](uint8_t* dst, size_t) { head.push_back(requantize_head(t, *o.head_type, dst)); });
        } else {
            ++res.n_copied;
            w.add_tensor_copy(std::string(t.name), t.type, ne, t.data);
        }
    }
    ProgressBar bar("quantize", w.n_tensors(), o.progress);
    w.write(o.output, [&](size_t done, size_t) { bar.update(done); });
    bar.finish(o.output);
    res.input_bytes = static_cast<size_t>(std::filesystem::file_size(o.input));
    res.output_bytes = static_cast<size_t>(std::filesystem::file_size(o.output));
    return res;
}

}  // namespace bitnet
