# Creates the small synthetic models the integration tests use (cmake -P script).
file(MAKE_DIRECTORY ${OUT})
foreach(type i2_s tq2_0 tq1_0 f16)
  execute_process(COMMAND ${BITNET} synth --preset tiny --type ${type} --seed 7 -q -o ${OUT}/tiny-${type}.gguf
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "bitnet synth --type ${type} failed")
  endif()
endforeach()
