#pragma once
// Binds GGUF tensors to kernel views while the weights load, checking each tensor's shape and
// type: norm vectors as f32, ternary matrices in the engine's layouts. Architectures name their
// tensors through it (src/model/arch/).
#include <cstdint>
#include <string>

#include "kernels/kernels.hpp"
#include "quant/types.hpp"

namespace bitnet {

class GgufFile;
struct GgufTensor;
class ThreadPool;
struct ModelWeights;
struct WeightLoadOptions;

// "blk.<il>.<name>": the name of a per-layer tensor.
std::string layer_tensor(int64_t il, const char* name);

class WeightBinder {
public:
    WeightBinder(const GgufFile& file, const WeightLoadOptions& options, ThreadPool& pool, ModelWeights& out)
        : file_(file), options_(options), pool_(pool), out_(out) {}

    // The tensor, which must have exactly this shape (ne0 first).
    const GgufTensor& tensor(const std::string& name, std::initializer_list<int64_t> shape) const;
    // A norm weight vector of n values (F32 used in place; F16/BF16 converted).
    const float* norm(const std::string& name, int64_t n);
    // A ternary matrix of `rows` outputs by `cols` inputs. An optional single-value F32 tensor
    // `<name minus .weight>.scale` (llama.cpp's bitnet converter) multiplies its scale.
    TernaryMatrix ternary(const std::string& name, int64_t cols, int64_t rows);

private:
    float tensor_scale(const std::string& weight_name) const;
    WeightLayout preferred_layout(GgmlType stored) const;

    const GgufFile& file_;
    const WeightLoadOptions& options_;
    ThreadPool& pool_;
    ModelWeights& out_;
};

}  // namespace bitnet
