#pragma once
// Reader of Hugging Face safetensors files: an 8-byte little-endian header length N, N bytes of
// JSON describing each tensor (dtype, shape, [begin, end) offsets into the data buffer), then the
// buffer. The file is memory-mapped and validated like a GGUF file (src/gguf/gguf_file.cpp):
// header inside the file, well-formed JSON, known dtypes, sizes that match the shapes, and tensors
// that cover the buffer with no holes and no overlaps. Tensor data is used in place.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/mapped_file.hpp"

namespace bitnet {

// The dtypes of the safetensors format; the converter reads F32, F16, BF16, U8 and I8, the others
// are recognised (so a file holding them still validates) but not converted.
enum class StDtype { F32, F16, BF16, U8, I8, BOOL, I16, U16, I32, U32, F64, I64, U64, F8_E4M3, F8_E5M2 };

const char* st_dtype_name(StDtype d);
size_t st_dtype_size(StDtype d);

struct StTensor {
    std::string name;
    StDtype dtype = StDtype::F32;
    std::vector<int64_t> shape;  // outermost first, as in PyTorch
    const uint8_t* data = nullptr;
    size_t offset = 0;  // of the data from the start of the file
    size_t nbytes = 0;

    int64_t elements() const;
    // "[a, b]" for messages.
    std::string shape_string() const;
};

class SafetensorsFile {
public:
    // Maps and validates the file; throws Error naming the file and the defect.
    explicit SafetensorsFile(const std::string& path);

    // Validates an in-memory image whose data stays owned by the caller (`name` for messages).
    static std::vector<StTensor> parse(const uint8_t* data, size_t size, const std::string& name);

    const std::string& path() const { return file_.path(); }
    const std::vector<StTensor>& tensors() const { return tensors_; }
    // nullptr when absent.
    const StTensor* find(std::string_view name) const;
    // Drops a tensor's pages from the resident set once it has been converted.
    void release(const StTensor& t) const { file_.advise_dontneed(t.offset, t.nbytes); }

private:
    MappedFile file_;
    std::vector<StTensor> tensors_;  // sorted by name
};

}  // namespace bitnet
