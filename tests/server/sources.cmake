set(SOURCES
  scheduler_test.cpp
  request_test.cpp
)
