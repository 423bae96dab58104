set(SOURCES
  layout_test.cpp
  quantize_test.cpp
  ternary_matmul_test.cpp
  dense_matmul_test.cpp
  vector_ops_test.cpp
  attention_test.cpp
)
