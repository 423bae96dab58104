#include "model/ternary_import.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "gguf/gguf_file.hpp"
#include "model/resident_copy.hpp"
#include "quant/iq_bn.hpp"
#include "quant/ternary.hpp"
#include "quant/types.hpp"

namespace bitnet {

void decode_bits2_row(const uint8_t* row, int64_t k, int8_t* values) {
    for (int64_t blk = 0; blk < k / 128; ++blk) {
        const uint8_t* b = row + blk * 32;
        int8_t* v = values + blk * 128;
        for (int p = 0; p < 32; ++p) {
            v[p] = static_cast<int8_t>(((b[p] >> 6) & 3) - 1);
            v[p + 32] = static_cast<int8_t>(((b[p] >> 4) & 3) - 1);
            v[p + 64] = static_cast<int8_t>(((b[p] >> 2) & 3) - 1);
            v[p + 96] = static_cast<int8_t>((b[p] & 3) - 1);
        }
    }
}

namespace {

[[noreturn]] void bad(const GgufTensor& t, const std::string& file, const std::string& what) {
    fail(strprintf("%s: tensor '%.*s': %s", file.c_str(), static_cast<int>(t.name.size()), t.name.data(), what.c_str()));
}

// I2_S never stores code 3; a file that does is corrupt (kernels would read it as +2).
void check_i2s_codes(const GgufTensor& t, const std::string& file, int64_t n) {
    const size_t bytes = static_cast<size_t>(n / 4);
    for (size_t i = 0; i < bytes; i += 8) {
        uint64_t w = 0;
        std::memcpy(&w, t.data + i, std::min<size_t>(8, bytes - i));
        if ((w & (w >> 1) & 0x5555555555555555ull) == 0) continue;
        for (size_t j = i; j < std::min(bytes, i + 8); ++j) {
            const uint8_t b = t.data[j];
            for (int g = 0; g < 4; ++g) {
                if (((b >> (6 - 2 * g)) & 3) == 3) {
                    const int64_t elem = static_cast<int64_t>(j / 32) * 128 + g * 32 + static_cast<int64_t>(j % 32);
                    bad(t, file, strprintf("invalid I2_S code 3 at element %lld (the file is corrupt)",
                                           static_cast<long long>(elem)));
                }
            }
        }
    }
}

// Values of a float tensor that already is alpha * {-1, 0, +1}, or nothing.
bool exact_ternary(const std::vector<float>& w, std::vector<int8_t>& values, float& alpha) {
    alpha = 0.0f;
    for (float x : w) alpha = std::max(alpha, std::fabs(x));
    if (alpha == 0.0f || !std::isfinite(alpha)) return false;
    for (size_t i = 0; i < w.size(); ++i) {
        if (w[i] == 0.0f) {
            values[i] = 0;
        } else if (w[i] == alpha) {
            values[i] = 1;
        } else if (w[i] == -alpha) {
            values[i] = -1;
        } else {
            return false;
        }
    }
    return true;
}

struct Unpacked {
    std::vector<int8_t> values;      // rows * cols
    std::vector<float> block_scale;  // rows * cols/256 (TQ types) or empty
    std::vector<float> row_scale;    // rows (IQ2_BN, IQ1_BN) or empty
    float scale = 0.0f;              // per-tensor scale (I2_S, float types)
};

Unpacked unpack(const GgufTensor& t, const std::string& file, int64_t rows, int64_t cols, ThreadPool& pool) {
    Unpacked u;
    const int64_t n = rows * cols;
    u.values.resize(static_cast<size_t>(n));
    switch (t.type) {
        case GgmlType::I2_S:
            u.scale = i2s_scale(t.data, n);
            pool.parallel_for(static_cast<size_t>(rows), 16, [&](size_t b, size_t e) {
                for (size_t r = b; r < e; ++r) {
                    decode_bits2_row(t.data + r * static_cast<size_t>(cols / 4), cols, u.values.data() + r * cols);
                }
            });
            break;
        case GgmlType::TQ2_0:
        case GgmlType::TQ1_0: {
            u.block_scale.resize(static_cast<size_t>(n / 256));
            const size_t block_bytes = type_traits(t.type).block_bytes;
            pool.parallel_for(static_cast<size_t>(rows), 16, [&](size_t b, size_t e) {
                for (size_t r = b; r < e; ++r) {
                    const uint8_t* src = t.data + r * static_cast<size_t>(cols / 256) * block_bytes;
                    int8_t* v = u.values.data() + r * cols;
                    float* s = u.block_scale.data() + r * (cols / 256);
                    if (t.type == GgmlType::TQ2_0) {
                        unpack_tq2_0(src, cols, v, s);
                    } else {
                        unpack_tq1_0(src, cols, v, s);
                    }
                }
            });
            break;
        }
        case GgmlType::IQ2_BN:
        case GgmlType::IQ1_BN: {
            u.row_scale.resize(static_cast<size_t>(rows));
            const size_t stride = row_bytes(t.type, cols);
            bool valid = true;
            for (int64_t r = 0; r < rows; ++r) {
                const uint8_t* src = t.data + static_cast<size_t>(r) * stride;
                int8_t* v = u.values.data() + r * cols;
                float* d = u.row_scale.data() + r;
                if (t.type == GgmlType::IQ2_BN) {
                    valid = unpack_iq2_bn_row(src, cols, v, d) && valid;
                } else {
                    unpack_iq1_bn_row(src, cols, v, d);
                }
                if (!std::isfinite(*d)) bad(t, file, strprintf("the scale of row %lld is not finite", static_cast<long long>(r)));
            }
            if (!valid) bad(t, file, "invalid IQ2_BN code 3 (the file is corrupt)");
            break;
        }
        case GgmlType::F32:
        case GgmlType::F16:
        case GgmlType::BF16: {
            std::vector<float> w(static_cast<size_t>(n));
            dequantize_rows(t.type, t.data, cols, n, 0, rows, w.data());
            if (!exact_ternary(w, u.values, u.scale)) {
                TernaryTensor tt = ternarize_absmean(w.data(), n);
                u.values = std::move(tt.values);
                u.scale = tt.scale;
            }
            break;
        }
        default: bad(t, file, strprintf("type %s is not a ternary weight type", type_name(t.type)));
    }
    return u;
}

// Per-row scales from per-block scales when every non-zero block of a row agrees.
bool rows_from_blocks(const Unpacked& u, int64_t rows, int64_t cols, std::vector<float>& row_scale) {
    const int64_t nb = cols / 256;
    row_scale.assign(static_cast<size_t>(rows), 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
        float s = 0.0f;
        bool have = false;
        for (int64_t b = 0; b < nb; ++b) {
            const int8_t* v = u.values.data() + r * cols + b * 256;
            if (std::all_of(v, v + 256, [](int8_t x) { return x == 0; })) continue;
            const float d = u.block_scale[static_cast<size_t>(r * nb + b)];
            if (!have) {
                s = d;
                have = true;
            } else if (d != s) {
                return false;
            }
        }
        row_scale[static_cast<size_t>(r)] = s;
    }
    return true;
}

}  // namespace

TernaryImport import_ternary(const GgufTensor& t, const std::string& file, WeightLayout preferred, bool in_place,
                             ThreadPool& pool) {
    const int64_t cols = t.ne[0], rows = t.ne[1];
    if (cols % 128 != 0) bad(t, file, strprintf("row length %lld is not a multiple of 128", static_cast<long long>(cols)));
    TernaryImport out;
    out.layout = preferred;

    if (t.type == GgmlType::I2_S) {
        check_i2s_codes(t, file, rows * cols);
        const float alpha = i2s_scale(t.data, rows * cols);
        if (!std::isfinite(alpha)) bad(t, file, "the I2_S scale is not finite");
        out.row_scale.assign(static_cast<size_t>(rows), alpha);
        if (preferred == WeightLayout::bits2) {
            out.row_stride = static_cast<size_t>(cols / 4);
            if (!in_place || !cache_line_aligned(t.data)) out.packed = resident_copy(t.data, t.nbytes, pool);
            return out;
        }
    }

    Unpacked u = unpack(t, file, rows, cols, pool);
    if (!u.block_scale.empty()) {
        for (float s : u.block_scale) {
            if (!std::isfinite(s)) bad(t, file, "a block scale is not finite");
        }
        if (!rows_from_blocks(u, rows, cols, out.row_scale)) {
            out.layout = WeightLayout::bits2;  // the kernels apply per-block scales on 2-bit rows only
            out.block_scale = std::move(u.block_scale);
            out.row_scale.assign(static_cast<size_t>(rows), 0.0f);
        }
    } else if (!u.row_scale.empty()) {
        out.row_scale = std::move(u.row_scale);
    } else if (out.row_scale.empty()) {
        out.row_scale.assign(static_cast<size_t>(rows), u.scale);
    }

    out.row_stride = layout_row_bytes(out.layout, cols);
    out.packed.reset(out.row_stride * static_cast<size_t>(rows));
    pool.parallel_for(static_cast<size_t>(rows), 16, [&](size_t b, size_t e) {
        for (size_t r = b; r < e; ++r) {
            layout_pack_row(out.layout, u.values.data() + r * cols, cols, out.packed.data() + r * out.row_stride);
        }
    });
    return out;
}

}  // namespace bitnet
