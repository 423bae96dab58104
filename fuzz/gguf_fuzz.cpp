// libFuzzer target for the GGUF reader: any input must either parse or throw bitnet::Error.
// Parsed files are walked through every accessor and every tensor is dequantized, so the
// validation is proven sufficient for the code that consumes it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "quant/types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const bitnet::GgufFile f = bitnet::GgufFile::parse(data, size, "fuzz");
        for (const bitnet::GgufKv& kv : f.metadata()) {
            (void)bitnet::gguf_value_to_string(kv.value);
            try {
                (void)f.get_uint(kv.key);
            } catch (const bitnet::Error&) {
            }
        }
        std::vector<float> row;
        for (const bitnet::GgufTensor& t : f.tensors()) {
            if (t.ne[0] > (1 << 16)) continue;  // keep the per-input work small
            row.resize(static_cast<size_t>(t.ne[0]));
            bitnet::dequantize_rows(t.type, t.data, t.ne[0], t.n_elements(), t.n_rows() - 1, 1, row.data());
        }
    } catch (const bitnet::Error&) {
    }
    return 0;
}
