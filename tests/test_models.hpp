#pragma once
// Synthetic models for tests, written once per test process into a temporary directory.
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <unistd.h>

#include "tools/synth.hpp"

namespace bitnet::test {

// This process's scratch directory, removed when the process exits (a per-pid name, so parallel
// CTest processes never collide).
class TestTempDir {
public:
    TestTempDir()
        : path_(std::filesystem::temp_directory_path() / ("bitnet-test-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(path_);
    }
    ~TestTempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline const std::filesystem::path& test_temp_dir() {
    static const TestTempDir dir;
    return dir.path();
}

inline std::string synth_model(const std::string& name, SynthOptions options) {
    static std::map<std::string, std::string> made;
    auto it = made.find(name);
    if (it != made.end()) return it->second;
    options.output = (test_temp_dir() / (name + ".gguf")).string();
    options.progress = false;
    synthesize(options);
    made[name] = options.output;
    return options.output;
}

// The tiny preset (2 layers, n_embd 256, built-in byte-level vocabulary) with I2_S weights.
inline std::string tiny_model() {
    SynthOptions o;
    o.preset = "tiny";
    o.seed = 7;
    return synth_model("tiny", o);
}

}  // namespace bitnet::test
