set(SOURCES
  gguf_value.cpp
  gguf_file.cpp
  gguf_writer.cpp
)
