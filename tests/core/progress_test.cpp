// The progress bar in a log (stderr not a terminal): one line at the start, one at the end.
#include "core/progress.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace bitnet {
namespace {

// Runs `work` with stderr sent to an anonymous temporary file and returns what it printed.
template <typename Work>
std::string capture_stderr(Work work) {
    std::fflush(stderr);
    std::FILE* tmp = std::tmpfile();
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(::fileno(tmp), STDERR_FILENO);
    work();
    std::fflush(stderr);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    std::rewind(tmp);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, tmp)) > 0) out.append(buf, n);
    std::fclose(tmp);
    return out;
}

TEST(ProgressBar, LogGetsStartAndEndLinesOnly) {
    const std::string out = capture_stderr([] {
        ProgressBar bar("synth", 200);
        for (size_t i = 0; i <= 200; ++i) bar.update(i);
        bar.finish("done");
    });
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
    EXPECT_EQ(out.find('\r'), std::string::npos) << "no in-place redraw in a log";
    EXPECT_NE(out.find("0/200"), std::string::npos) << out;
    EXPECT_NE(out.find("200/200"), std::string::npos) << out;
    EXPECT_NE(out.find("done"), std::string::npos) << out;
}

TEST(ProgressBar, DisabledPrintsNothing) {
    const std::string out = capture_stderr([] {
        ProgressBar bar("load", 10, false);
        bar.update(5);
        bar.finish();
    });
    EXPECT_TRUE(out.empty()) << out;
}

}  // namespace
}  // namespace bitnet
