# Script-driven tests of the tools (beyond the GoogleTest cases), included by tests/CMakeLists.txt.
include(${CMAKE_CURRENT_LIST_DIR}/convert/tests.cmake)
