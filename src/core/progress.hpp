#pragma once
// A progress bar on stderr for long work (synth, conversion, perplexity). Redrawn in place when
// stderr is a terminal; otherwise one line at the start and one at the end, so logs stay readable.
#include <chrono>
#include <cstddef>
#include <string>

namespace bitnet {

class ProgressBar {
public:
    ProgressBar(std::string label, size_t total, bool enabled = true);
    ~ProgressBar();
    void update(size_t done, const std::string& detail = "");
    void finish(const std::string& detail = "");

private:
    void draw(size_t done, const std::string& detail);
    std::string label_;
    size_t total_;
    bool enabled_;
    bool tty_;
    bool finished_ = false;
    bool started_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace bitnet
