#include "core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace bitnet {

ProgressBar::ProgressBar(std::string label, size_t total, bool enabled)
    : label_(std::move(label)),
      total_(std::max<size_t>(total, 1)),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
    if (enabled_ && tty_ && !finished_) std::fputc('\n', stderr);
}

void ProgressBar::update(size_t done, const std::string& detail) {
    if (!enabled_ || finished_) return;
    const auto now = std::chrono::steady_clock::now();
    if (tty_) {
        if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
        last_draw_ = now;
        draw(done, detail);
    } else if (!started_) {
        // A log gets the start and the end only: a line per update would flood it.
        started_ = true;
        draw(done, detail);
    }
}

void ProgressBar::finish(const std::string& detail) {
    if (!enabled_ || finished_) return;
    draw(total_, detail);
    if (tty_) std::fputc('\n', stderr);
    finished_ = true;
}

void ProgressBar::draw(size_t done, const std::string& detail) {
    done = std::min(done, total_);
    const double frac = static_cast<double>(done) / static_cast<double>(total_);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "%s%s [%s] %5.1f%% %zu/%zu %.1fs%s%s%s", tty_ ? "\r\033[K" : "", label_.c_str(), bar.c_str(),
                 100.0 * frac, done, total_, secs, detail.empty() ? "" : "  ", detail.c_str(), tty_ ? "" : "\n");
    std::fflush(stderr);
}

}  // namespace bitnet
