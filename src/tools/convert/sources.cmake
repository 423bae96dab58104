# Hugging Face checkpoint conversion (`bitnet convert`), included from src/tools/sources.cmake.
list(APPEND SOURCES
  convert/safetensors.cpp
  convert/checkpoint.cpp
  convert/hf_config.cpp
  convert/sentencepiece_model.cpp
  convert/hf_tokenizer.cpp
  convert/hf_weights.cpp
  convert/convert.cpp
)
