#pragma once
// The safetensors files of a Hugging Face checkpoint directory: `model.safetensors`, or the
// shards named by `model.safetensors.index.json` (its weight_map decides where each tensor
// lives; shard file names are never guessed).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tools/convert/safetensors.hpp"

namespace bitnet {

class Checkpoint {
public:
    // Opens and validates every file; throws Error naming what is missing or inconsistent.
    explicit Checkpoint(const std::string& dir);

    // nullptr when the checkpoint has no such tensor.
    const StTensor* find(std::string_view name) const;
    // The tensor, or an Error naming it and the directory.
    const StTensor& get(std::string_view name) const;
    // Drops a converted tensor's pages from memory (streaming conversion).
    void release(const StTensor& t) const;

    // Every tensor name, across the files.
    std::vector<std::string> tensor_names() const;
    size_t n_files() const { return files_.size(); }
    size_t n_tensors() const;
    // Sum of the files' sizes.
    size_t total_bytes() const;
    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
    std::vector<std::unique_ptr<SafetensorsFile>> files_;
};

}  // namespace bitnet
