set(SOURCES
  generate_test.cpp
)
