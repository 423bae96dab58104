set(SOURCES
  config.cpp
  weights.cpp
  ternary_import.cpp
  head_import.cpp
  kv_cache.cpp
  forward.cpp
)
