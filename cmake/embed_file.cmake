# cmake -DINPUT=file -DOUTPUT=file.cpp -DFUNCTION=ns::name -DHEADER=path -P embed_file.cmake
# Writes a C++ source whose function returns the input file's bytes as a std::string_view, so a
# resource (the chat page) is compiled into the binary.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" n_hex)
math(EXPR n_bytes "${n_hex} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
string(REGEX REPLACE "(([^,]*,){16})" "\\1\n" bytes "${bytes}")
string(REGEX MATCH "^(.*)::([^:]*)$" _ "${FUNCTION}")
set(ns "${CMAKE_MATCH_1}")
set(fn "${CMAKE_MATCH_2}")
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by cmake/embed_file.cmake; do not edit.
#include \"${HEADER}\"

namespace ${ns} {

std::string_view ${fn}() {
    static const char data[] = {
${bytes}
    };
    return {data, ${n_bytes}};
}

}  // namespace ${ns}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
