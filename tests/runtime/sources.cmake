set(SOURCES
  generate_test.cpp
  no_alloc_test.cpp
  c_api_test.cpp
)
