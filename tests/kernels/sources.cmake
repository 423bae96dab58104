set(SOURCES
  layout_test.cpp
  quantize_test.cpp
  ternary_matmul_test.cpp
)
