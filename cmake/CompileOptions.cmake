# Project-wide warning policy and per-ISA source flags.

# Applied to every target we own; third-party headers come in as SYSTEM includes.
add_library(bitnet_warnings INTERFACE)
target_compile_options(bitnet_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Wimplicit-fallthrough -Werror)

if(BITNET_SANITIZE)
  add_compile_options(-fsanitize=${BITNET_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${BITNET_SANITIZE})
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(BITNET_ARCH_X86 ON)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BITNET_ARCH_ARM64 ON)
endif()

# Kernel files are named *_avx2.cpp, *_avx512.cpp, *_neon.cpp. Each gets exactly the ISA it is
# written for, so one binary runs anywhere and the dispatch table picks the variant at run time.
set(BITNET_FLAGS_AVX2 -mavx2 -mfma -mf16c -mbmi2)
set(BITNET_FLAGS_AVX512 -mavx2 -mfma -mf16c -mbmi2 -mavx512f -mavx512bw -mavx512vl -mavx512dq
    -mavx512vnni -mavx512vbmi)
set(BITNET_FLAGS_NEON -march=armv8.2-a+dotprod+fp16)

# Filters a list of sources down to those this target architecture can compile and tags the
# ISA-specific ones with their flags.
function(bitnet_filter_isa_sources out_var)
  set(kept)
  foreach(src IN LISTS ARGN)
    if(src MATCHES "_avx2\\.cpp$")
      if(BITNET_ARCH_X86)
        set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${BITNET_FLAGS_AVX2}")
        list(APPEND kept ${src})
      endif()
    elseif(src MATCHES "_avx512\\.cpp$")
      if(BITNET_ARCH_X86)
        set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${BITNET_FLAGS_AVX512}")
        list(APPEND kept ${src})
      endif()
    elseif(src MATCHES "_neon\\.cpp$")
      if(BITNET_ARCH_ARM64)
        set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${BITNET_FLAGS_NEON}")
        list(APPEND kept ${src})
      endif()
    else()
      list(APPEND kept ${src})
    endif()
  endforeach()
  set(${out_var} ${kept} PARENT_SCOPE)
endfunction()
