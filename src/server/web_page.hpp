#pragma once
// The built-in chat page served at GET / (src/server/web/index.html, compiled into the binary
// by CMake: no files are read at run time, nothing is loaded from a CDN).
#include <string_view>

namespace bitnet::server {

std::string_view web_page();

}  // namespace bitnet::server
