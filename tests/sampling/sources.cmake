set(SOURCES
  sampler_test.cpp
)
