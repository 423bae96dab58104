set(SOURCES
  layout.cpp
  dispatch.cpp
  kernels_scalar.cpp
  scalar_ops.cpp
  kernels_avx2.cpp
  kernels_avx512.cpp
)
