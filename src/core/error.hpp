#pragma once
// One error type for the whole library: every failure is an exception carrying a message that
// names what is wrong (and where, when that helps the user fix it).
#include <stdexcept>
#include <string>

namespace bitnet {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// printf-style formatting; the compiler checks the arguments against the format string.
std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

[[noreturn]] void fail(const std::string& message);

}  // namespace bitnet
