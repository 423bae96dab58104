# Kernel sources. *_avx2.cpp / *_avx512.cpp / *_neon.cpp get their ISA flags and are dropped on
# the other architecture (bitnet_filter_isa_sources in cmake/CompileOptions.cmake).
set(SOURCES
  layout.cpp
  dispatch.cpp
  dense_types.cpp
  kernels_scalar.cpp
  scalar_ops.cpp
  # x86 AVX2 + FMA + F16C
  kernels_avx2.cpp
  quantize_avx2.cpp
  ternary_matmul_avx2.cpp
  ternary_bits2_avx2.cpp
  ternary_base3_avx2.cpp
  dense_matmul_avx2.cpp
  vector_ops_avx2.cpp
  attention_avx2.cpp
  # x86 AVX-512 F/BW/VL/DQ + VNNI + VBMI
  kernels_avx512.cpp
  quantize_avx512.cpp
  ternary_matmul_avx512.cpp
  ternary_bits2_avx512.cpp
  ternary_base3_avx512.cpp
  ternary_blockscale_avx512.cpp
  dense_matmul_avx512.cpp
  dense_float_avx512.cpp
  dense_quant_avx512.cpp
  dense_q6_k_avx512.cpp
  vector_ops_avx512.cpp
  attention_avx512.cpp
  # AArch64 NEON + dot product
  kernels_neon.cpp
  quantize_neon.cpp
  ternary_matmul_neon.cpp
  dense_matmul_neon.cpp
  vector_ops_neon.cpp
  attention_neon.cpp
)
