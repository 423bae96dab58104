#pragma once
// The one exception type of the bitnet library: every failure (bad file, bad argument, full
// context, ...) is reported as bitnet::Error with a message naming what is wrong.
#include <stdexcept>
#include <string>

namespace bitnet {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace bitnet
