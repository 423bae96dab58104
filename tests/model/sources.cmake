set(SOURCES
  config_test.cpp
  ternary_import_test.cpp
)
