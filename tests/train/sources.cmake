set(SOURCES
  gemm_test.cpp
  model_test.cpp
  trainer_test.cpp
  spm_vocab_test.cpp
)
