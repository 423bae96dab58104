set(SOURCES
  aligned_buffer.cpp
  error.cpp
  mapped_file.cpp
  cpu_features.cpp
  thread_pool.cpp
  progress.cpp
)
