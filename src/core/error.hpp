#pragma once
// Error helpers. bitnet::Error (public) carries a message that names what is wrong, and where
// when that helps the user fix it.
#include <string>

#include "bitnet/error.hpp"

namespace bitnet {

// printf-style formatting; the compiler checks the arguments against the format string.
std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

[[noreturn]] void fail(const std::string& message);

}  // namespace bitnet
