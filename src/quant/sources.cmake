set(SOURCES
  types.cpp
)
