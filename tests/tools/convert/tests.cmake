# `bitnet convert` end to end: tiny checkpoints of every Hugging Face family (hf_checkpoint.py),
# converted to every output type and run against the PyTorch reference (run_convert_test.py); the
# reference broken on purpose must fail; the converted tokenizers against the source ones.
set(BITNET_CONVERT_DIR ${CMAKE_CURRENT_LIST_DIR})
set(BITNET_CONVERT_WORK ${CMAKE_BINARY_DIR}/convert_checkpoints)
set(BITNET_CONVERT_FAMILIES b158 b158-bf16 1bitllm llama3 falcon3)

foreach(family IN LISTS BITNET_CONVERT_FAMILIES)
  add_test(NAME convert.checkpoint.${family}
    COMMAND /usr/bin/python3 ${BITNET_CONVERT_DIR}/hf_checkpoint.py ${family} ${BITNET_CONVERT_WORK}/${family}-1 --seed 1)
  set_tests_properties(convert.checkpoint.${family} PROPERTIES FIXTURES_SETUP convert_${family} TIMEOUT 120 LABELS convert)
endforeach()

# convert_test(NAME FAMILY [run_convert_test.py arguments...])
function(convert_test name family)
  add_test(NAME convert.${name}
    COMMAND /usr/bin/python3 ${BITNET_CONVERT_DIR}/run_convert_test.py --cli $<TARGET_FILE:bitnet_cli>
            --dump $<TARGET_FILE:dump_logits> --family ${family} --workdir ${BITNET_CONVERT_WORK} ${ARGN})
  set_tests_properties(convert.${name} PROPERTIES FIXTURES_REQUIRED convert_${family} TIMEOUT 300 LABELS convert)
endfunction()

foreach(family IN LISTS BITNET_CONVERT_FAMILIES)
  foreach(type i2_s tq1_0 tq2_0 f16)
    convert_test(${family}.${type} ${family} --type ${type})
  endforeach()
  # Plausible converter bugs, injected into the reference, must make the comparison fail.
  convert_test(${family}.mutation.scale ${family} --mutate scale)
  convert_test(${family}.mutation.activation ${family} --mutate activation)
endforeach()
# Quantized LM heads (the reference takes the head as stored, with ggml's activation blocks). Not
# for a tied Q8_0 table: as the embedding it feeds act-quant inputs whose ratios are products of
# 8-bit numbers, so exact .5 ties appear that fp32 noise resolves either way (scaling that
# embedding by 1 + 2^-22 moves the reference's own logits by 0.34).
convert_test(llama3.head_q8_0 llama3 --head-type q8_0)
convert_test(llama3.head_q6_k llama3 --head-type q6_k)
convert_test(falcon3.head_q6_k falcon3 --head-type q6_k)
# ik_llama.cpp's IQ2_BN / IQ1_BN, written by `bitnet quantize` from the converted I2_S file.
foreach(family b158 1bitllm falcon3)
  convert_test(${family}.iq2_bn ${family} --quantize iq2_bn)
  convert_test(${family}.iq1_bn ${family} --quantize iq1_bn)
endforeach()
foreach(family b158 llama3 falcon3)  # the packed families
  convert_test(${family}.mutation.packing ${family} --mutate packing)
endforeach()

# The converted tokenizers: Llama-3 tokenizer.json (given with --tokenizer) against the vectors,
# SentencePiece tokenizer.model against SentencePiece.
add_test(NAME convert.tokenizer.bpe
  COMMAND /usr/bin/python3 ${BITNET_CONVERT_DIR}/tokenizer_test.py --cli $<TARGET_FILE:bitnet_cli>
          --checkpoint ${BITNET_CONVERT_WORK}/llama3-1 --mode bpe --workdir ${BITNET_CONVERT_WORK})
set_tests_properties(convert.tokenizer.bpe PROPERTIES FIXTURES_REQUIRED convert_llama3 TIMEOUT 300 LABELS convert)
add_test(NAME convert.tokenizer.spm
  COMMAND /usr/bin/python3 ${BITNET_CONVERT_DIR}/tokenizer_test.py --cli $<TARGET_FILE:bitnet_cli>
          --checkpoint ${BITNET_CONVERT_WORK}/1bitllm-1 --mode spm --workdir ${BITNET_CONVERT_WORK})
set_tests_properties(convert.tokenizer.spm PROPERTIES FIXTURES_REQUIRED convert_1bitllm TIMEOUT 300 LABELS convert)

# Against Hugging Face's own tokenizer (the npm `tokenizers` package: HF's Rust library for Node):
# every tokenization vector through the GGUF gives HF's ids (hf_tokenizers_test.mjs).
add_executable(tokenize_texts ${BITNET_CONVERT_DIR}/tokenize_texts.cpp)
target_link_libraries(tokenize_texts PRIVATE bitnet_internal bitnet_warnings nlohmann_json::nlohmann_json)
find_program(BITNET_NODE node)
if(BITNET_NODE AND EXISTS ${PROJECT_SOURCE_DIR}/node_modules/tokenizers/package.json)
  foreach(family llama3 falcon3)
    add_test(NAME convert.hf_tokenizers.${family}
      COMMAND ${BITNET_NODE} ${BITNET_CONVERT_DIR}/hf_tokenizers_test.mjs --cli $<TARGET_FILE:bitnet_cli>
              --tokenize $<TARGET_FILE:tokenize_texts> --checkpoint ${BITNET_CONVERT_WORK}/${family}-1
              --workdir ${BITNET_CONVERT_WORK})
    set_tests_properties(convert.hf_tokenizers.${family} PROPERTIES FIXTURES_REQUIRED convert_${family} TIMEOUT 300
                         LABELS convert)
  endforeach()
else()
  bitnet_test_tool_missing(convert.hf_tokenizers "Node.js and the npm packages of package.json (npm ci)")
endif()
