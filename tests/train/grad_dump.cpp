// Writes a tiny model's weights, a batch, the loss, every parameter gradient and (QAT) the
// quantized BitLinear inputs to a file, for tests/train/check_grads.py to recompute with PyTorch.
// Usage: train_grad_dump float|qat OUT
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "train/model.hpp"

namespace {

// Records: u32 name length, name, u32 type (0 f32, 1 i32), u64 count, data.
void put(FILE* f, const std::string& name, const void* data, uint64_t n, uint32_t type) {
    const auto len = static_cast<uint32_t>(name.size());
    std::fwrite(&len, 4, 1, f);
    std::fwrite(name.data(), 1, len, f);
    std::fwrite(&type, 4, 1, f);
    std::fwrite(&n, 8, 1, f);
    std::fwrite(data, 4, n, f);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace bitnet;
    if (argc != 3 || (std::strcmp(argv[1], "float") != 0 && std::strcmp(argv[1], "qat") != 0)) {
        std::fprintf(stderr, "usage: train_grad_dump float|qat OUT\n");
        return 2;
    }
    const bool qat = std::strcmp(argv[1], "qat") == 0;
    const TrainShape s{67, 2, 128, 256, 4, 2, 12};
    const int64_t n_seq = 3, len = 12;
    ParamLayout layout(s);
    std::vector<float> params = init_params(layout, 7);
    // Norm weights away from 1 and larger matrices, so every product in the graph matters.
    Rng rng(11);
    for (const ParamTensor& t : layout.tensors) {
        for (size_t i = 0; i < t.size(); ++i) {
            float& w = params[t.offset + i];
            w = t.rows == 1 ? static_cast<float>(1.0 + 0.3 * (rng.uniform() - 0.5)) : w * 5.0f;
        }
    }
    std::vector<int32_t> inputs(static_cast<size_t>(n_seq * len)), targets(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
        inputs[i] = static_cast<int32_t>(rng.below(static_cast<uint64_t>(s.n_vocab)));
        targets[i] = i % 5 == 3 ? -1 : static_cast<int32_t>(rng.below(static_cast<uint64_t>(s.n_vocab)));
    }
    ThreadPool pool(2);
    TrainModel model(layout, pool, n_seq, size_t{1} << 30);
    const double loss = model.forward(params.data(), {inputs.data(), targets.data(), n_seq, len}, qat, true);
    std::vector<float> grads(layout.n_floats, 0.0f);
    model.backward(params.data(), grads.data());

    FILE* f = std::fopen(argv[2], "wb");
    if (f == nullptr) {
        std::perror(argv[2]);
        return 1;
    }
    const int32_t shape[] = {static_cast<int32_t>(s.n_vocab), static_cast<int32_t>(s.n_layer), static_cast<int32_t>(s.n_embd),
                             static_cast<int32_t>(s.n_ff),    static_cast<int32_t>(s.n_head),  static_cast<int32_t>(s.n_head_kv),
                             static_cast<int32_t>(n_seq),     static_cast<int32_t>(len),       qat ? 1 : 0};
    put(f, "shape", shape, 9, 1);
    put(f, "inputs", inputs.data(), inputs.size(), 1);
    put(f, "targets", targets.data(), targets.size(), 1);
    const auto lossf = static_cast<float>(loss);
    put(f, "loss", &lossf, 1, 0);
    for (const ParamTensor& t : layout.tensors) {
        put(f, "param:" + t.name, params.data() + t.offset, t.size(), 0);
        put(f, "grad:" + t.name, grads.data() + t.offset, t.size(), 0);
    }
    const int64_t T = n_seq * len;
    const int64_t widths[] = {s.n_embd, s.q_dim(), s.n_embd, s.n_ff};
    for (int64_t il = 0; il < s.n_layer; ++il) {
        const auto ins = model.bitlinear_inputs(il);
        for (size_t j = 0; j < ins.size(); ++j) {
            put(f, "act:" + std::to_string(il) + ":" + std::to_string(j), ins[j], static_cast<uint64_t>(T * widths[j]), 0);
        }
    }
    std::fclose(f);
    return 0;
}
