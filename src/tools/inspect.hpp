#pragma once
// `bitnet inspect`: a GGUF file's metadata (long arrays abbreviated), tensor table and totals by
// type, as text or as one JSON object.
#include <string>

namespace bitnet {

class GgufFile;

std::string inspect_text(const GgufFile& file);
std::string inspect_json(const GgufFile& file);

}  // namespace bitnet
