set(SOURCES
  sampler.cpp
)
