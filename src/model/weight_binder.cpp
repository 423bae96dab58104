#include "model/weight_binder.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "model/ternary_import.hpp"
#include "model/weights.hpp"

namespace bitnet {

std::string layer_tensor(int64_t il, const char* name) { return "blk." + std::to_string(il) + "." + name; }

const GgufTensor& WeightBinder::tensor(const std::string& name, std::initializer_list<int64_t> shape) const {
    const GgufTensor& t = file_.tensor(name);
    const std::vector<int64_t> want(shape);
    bool ok = true;
    for (size_t d = 0; d < 4; ++d) ok = ok && t.ne[d] == (d < want.size() ? want[d] : 1);
    if (!ok) {
        std::string expected = "[";
        for (size_t d = 0; d < want.size(); ++d) expected += (d ? ", " : "") + std::to_string(want[d]);
        fail(strprintf("%s: tensor '%s' has shape %s, expected %s]", file_.path().c_str(), name.c_str(),
                       t.shape_string().c_str(), expected.c_str()));
    }
    return t;
}

const float* WeightBinder::norm(const std::string& name, int64_t n) {
    const GgufTensor& t = tensor(name, {n});
    if (t.type == GgmlType::F32) return reinterpret_cast<const float*>(t.data);
    if (t.type != GgmlType::F16 && t.type != GgmlType::BF16) {
        fail(strprintf("%s: norm tensor '%s' has type %s (expected f32, f16 or bf16)", file_.path().c_str(),
                       name.c_str(), type_name(t.type)));
    }
    auto& v = out_.owned_f32.emplace_back(static_cast<size_t>(n));
    dequantize_rows(t.type, t.data, n, n, 0, 1, v.data());
    out_.owned_bytes += v.size() * sizeof(float);
    return v.data();
}

TernaryMatrix WeightBinder::ternary(const std::string& name, int64_t cols, int64_t rows) {
    const GgufTensor& t = tensor(name, {cols, rows});
    const float extra_scale = tensor_scale(name);
    TernaryImport imported = import_ternary(t, file_.path(), preferred_layout(t.type), options_.use_mmap, pool_);
    for (float& s : imported.row_scale) s *= extra_scale;
    for (float& s : imported.block_scale) s *= extra_scale;
    TernaryMatrix m;
    m.layout = imported.layout;
    m.rows = rows;
    m.cols = cols;
    m.row_stride = imported.row_stride;
    if (imported.packed.size() != 0) {
        m.data = imported.packed.data();
        out_.owned_bytes += imported.packed.size();
        out_.owned.push_back(std::move(imported.packed));
        // The file's copy of this tensor is no longer read: keep it out of the resident set.
        if (file_.mapping() != nullptr) file_.mapping()->advise_dontneed(file_.data_offset() + t.offset, t.nbytes);
    } else {
        m.data = t.data;
    }
    auto& scales = out_.owned_f32.emplace_back(std::move(imported.row_scale));
    m.row_scale = scales.data();
    if (!imported.block_scale.empty()) {
        auto& blocks = out_.owned_f32.emplace_back(std::move(imported.block_scale));
        m.block_scale = blocks.data();
    }
    out_.owned_bytes += static_cast<size_t>(m.rows + (m.block_scale ? m.rows * m.cols / 256 : 0)) * sizeof(float);
    out_.layouts_used[static_cast<size_t>(m.layout)] = true;
    return m;
}

float WeightBinder::tensor_scale(const std::string& weight_name) const {
    const std::string name = weight_name.substr(0, weight_name.size() - std::string(".weight").size()) + ".scale";
    const GgufTensor* t = file_.find_tensor(name);
    if (t == nullptr) return 1.0f;
    if (t->n_elements() != 1 || t->type != GgmlType::F32) {
        fail(strprintf("%s: tensor '%s' must be a single f32 value", file_.path().c_str(), name.c_str()));
    }
    float s;
    std::memcpy(&s, t->data, 4);
    if (!std::isfinite(s)) fail(strprintf("%s: tensor '%s' is not finite", file_.path().c_str(), name.c_str()));
    return s;
}

WeightLayout WeightBinder::preferred_layout(GgmlType stored) const {
    switch (options_.repack) {
        case WeightRepack::bits2: return WeightLayout::bits2;
        case WeightRepack::base3: return WeightLayout::base3;
        case WeightRepack::automatic: break;
    }
    // 1.6-bit files stay 1.6-bit where the kernels decode that faster than memory delivers it.
    return stored == GgmlType::TQ1_0 && kernels().base3_keeps_up ? WeightLayout::base3 : WeightLayout::bits2;
}

}  // namespace bitnet
