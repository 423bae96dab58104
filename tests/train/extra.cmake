# The PyTorch gradient check: a small tool dumps the trainer's weights, batch and gradients and
# tests/train/check_grads.py recomputes them with Debian's python3-torch.
add_executable(train_grad_dump ${CMAKE_CURRENT_SOURCE_DIR}/train/grad_dump.cpp)
target_link_libraries(train_grad_dump PRIVATE bitnet_internal bitnet_warnings)
foreach(mode float qat)
  add_test(NAME train.pytorch_gradients_${mode}
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/train/check_grads.py $<TARGET_FILE:train_grad_dump> ${mode}
            ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(train.pytorch_gradients_${mode} PROPERTIES TIMEOUT 300)
endforeach()
