#pragma once
// Holds back streamed text that could still turn into a stop string, so nothing from a stop
// string on is ever emitted (used by generate() and the server's slots).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bitnet {

class StopFilter {
public:
    StopFilter() = default;
    explicit StopFilter(std::vector<std::string> stops) : stops_(std::move(stops)) {}

    // Adds text; returns what can be emitted now. Sets `stopped` when a stop string completed
    // (the returned text then ends just before it, and what followed is dropped).
    std::string push(std::string_view text, bool& stopped);
    // Everything held back (at the end of generation).
    std::string flush() { return std::exchange(pending_, {}); }

private:
    std::vector<std::string> stops_;
    std::string pending_;
};

}  // namespace bitnet
