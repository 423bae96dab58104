#include "tools/convert/hf_weights.hpp"

#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/fp16.hpp"
#include "tools/convert/checkpoint.hpp"

namespace bitnet {

namespace {

std::string shape_text(const std::vector<int64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

void check_shape(const StTensor& t, const std::vector<int64_t>& shape, const std::string& dir) {
    if (t.shape != shape) {
        fail(strprintf("%s: tensor '%s' has shape %s but config.json implies %s", dir.c_str(), t.name.c_str(),
                       t.shape_string().c_str(), shape_text(shape).c_str()));
    }
}

float scale_value(const StTensor& s, const std::string& dir) {
    if (s.elements() != 1 || s.shape.size() > 1) {
        fail(strprintf("%s: '%s' must hold one value (a per-tensor scale), not shape %s", dir.c_str(), s.name.c_str(),
                       s.shape_string().c_str()));
    }
    if (s.dtype != StDtype::F32 && s.dtype != StDtype::F16 && s.dtype != StDtype::BF16) {
        fail(strprintf("%s: '%s' has dtype %s; a scale must be F32, F16 or BF16", dir.c_str(), s.name.c_str(),
                       st_dtype_name(s.dtype)));
    }
    float v;
    float_elements(s, 0, 1, &v);
    if (!(v > 0.0f) || !std::isfinite(v)) fail(strprintf("%s: '%s' = %g is not a positive scale", dir.c_str(), s.name.c_str(), v));
    return v;
}

// Packed U8 [rows/4, cols]: the four bit-planes of the bytes are four blocks of rows/4 rows.
TernaryTensor unpack(const StTensor& w, int64_t rows, int64_t cols, const std::string& dir) {
    const int64_t quarter = rows / 4;
    TernaryTensor t;
    t.values.resize(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < quarter; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
            const uint8_t byte = w.data[r * cols + c];
            for (int k = 0; k < 4; ++k) {
                const int code = (byte >> (2 * k)) & 3;
                if (code == 3) {
                    fail(strprintf("%s: '%s' byte [%lld, %lld] holds the code 3, which no ternary value has", dir.c_str(),
                                   w.name.c_str(), static_cast<long long>(r), static_cast<long long>(c)));
                }
                t.values[static_cast<size_t>((k * quarter + r) * cols + c)] = static_cast<int8_t>(code - 1);
            }
        }
    }
    return t;
}

}  // namespace

void check_float_tensor(const StTensor& t, const std::vector<int64_t>& shape, const std::string& dir) {
    if (t.dtype != StDtype::F32 && t.dtype != StDtype::F16 && t.dtype != StDtype::BF16) {
        fail(strprintf("%s: tensor '%s' has dtype %s; expected F32, F16 or BF16", dir.c_str(), t.name.c_str(),
                       st_dtype_name(t.dtype)));
    }
    check_shape(t, shape, dir);
}

void float_elements(const StTensor& t, int64_t begin, int64_t n, float* out) {
    const uint8_t* p = t.data + static_cast<size_t>(begin) * st_dtype_size(t.dtype);
    for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        switch (t.dtype) {
            case StDtype::F32: std::memcpy(&out[i], p + 4 * i, 4); break;
            case StDtype::F16: std::memcpy(&h, p + 2 * i, 2); out[i] = fp16_to_f32(h); break;
            case StDtype::BF16: std::memcpy(&h, p + 2 * i, 2); out[i] = bits_f32(static_cast<uint32_t>(h) << 16); break;
            default: fail("internal: float_elements on a non-float tensor");
        }
    }
}

void check_ternary_projection(const Checkpoint& ck, const std::string& prefix, int64_t rows, int64_t cols) {
    const StTensor& w = ck.get(prefix + ".weight");
    const StTensor* s = ck.find(prefix + ".weight_scale");
    if (s == nullptr && w.dtype != StDtype::U8) {
        check_float_tensor(w, {rows, cols}, ck.dir());
        return;
    }
    if (w.dtype != StDtype::U8) {
        fail(strprintf("%s: '%s' has dtype %s, but a packed tensor (it has a weight_scale) must be U8", ck.dir().c_str(),
                       w.name.c_str(), st_dtype_name(w.dtype)));
    }
    if (s == nullptr) fail(strprintf("%s: packed tensor '%s' has no '%s.weight_scale'", ck.dir().c_str(), w.name.c_str(), prefix.c_str()));
    if (rows % 4 != 0) {
        fail(strprintf("%s: '%s': %lld output rows cannot be packed four to a byte", ck.dir().c_str(), w.name.c_str(),
                       static_cast<long long>(rows)));
    }
    check_shape(w, {rows / 4, cols}, ck.dir());
    scale_value(*s, ck.dir());
}

TernaryTensor read_ternary_projection(const Checkpoint& ck, const std::string& prefix, int64_t rows, int64_t cols,
                                      bool scale_multiplies) {
    check_ternary_projection(ck, prefix, rows, cols);
    const StTensor& w = ck.get(prefix + ".weight");
    const StTensor* s = ck.find(prefix + ".weight_scale");
    TernaryTensor t;
    if (s != nullptr) {
        t = unpack(w, rows, cols, ck.dir());
        const float v = scale_value(*s, ck.dir());
        t.scale = scale_multiplies ? v : 1.0f / v;
        ck.release(*s);
    } else {
        std::vector<float> f(static_cast<size_t>(rows * cols));
        float_elements(w, 0, rows * cols, f.data());
        t = ternarize_absmean(f.data(), rows * cols);
    }
    ck.release(w);
    return t;
}

}  // namespace bitnet
