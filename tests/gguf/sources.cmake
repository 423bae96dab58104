set(SOURCES
  gguf_roundtrip_test.cpp
  gguf_validation_test.cpp
)
