# Tests of src/tools/convert/, included from tests/tools/sources.cmake.
list(APPEND SOURCES
  convert/safetensors_test.cpp
  convert/convert_test.cpp
)
