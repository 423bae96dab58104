# Runs COMMAND (a ;-list) and passes only if it exits 0 AND its stdout matches every regex in
# EXPECT (a ;-list). CTest's PASS_REGULAR_EXPRESSION alone would ignore the exit code.
#   cmake -DCOMMAND="prog;arg" -DEXPECT="re1;re2" -P expect_output.cmake
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exit status ${rc}; stderr:\n${err}")
endif()
foreach(re IN LISTS EXPECT)
  if(NOT out MATCHES "${re}")
    message(FATAL_ERROR "output does not match '${re}'; stderr:\n${err}")
  endif()
endforeach()
