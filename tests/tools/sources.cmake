set(SOURCES
  kld_file_test.cpp
  perplexity_stats_test.cpp
  perplexity_test.cpp
)
include(${CMAKE_CURRENT_LIST_DIR}/convert/sources.cmake)
