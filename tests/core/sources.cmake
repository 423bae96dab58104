set(SOURCES
  fp16_test.cpp
  thread_pool_test.cpp
  progress_test.cpp
)
