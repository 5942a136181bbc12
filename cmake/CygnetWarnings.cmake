# Strict warnings for project code only (third-party headers come in as SYSTEM).
function(cygnet_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wno-error=deprecated-declarations)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 at -O3 reports false positives inside libstdc++ (std::string, vector::insert):
    # -Wrestrict (GCC bug 105329), -Warray-bounds/-Wstringop-overflow (GCC bug 107852). Real
    # bounds errors are caught by the clang ASan/UBSan build and the fuzzers.
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread)
  endif()
endfunction()

# A layer library built from every .cpp in its folder.
function(cygnet_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT sources)  # a layer still being written: headers only
    add_library(cygnet_${name} INTERFACE)
    target_include_directories(cygnet_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(cygnet_${name} INTERFACE ${ARG_DEPS})
    add_library(cygnet::${name} ALIAS cygnet_${name})
    return()
  endif()
  add_library(cygnet_${name} STATIC ${sources})
  target_include_directories(cygnet_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(cygnet_${name} PUBLIC ${ARG_DEPS})
  cygnet_strict_warnings(cygnet_${name})
  set_target_properties(cygnet_${name} PROPERTIES LINKER_LANGUAGE CXX)
  add_library(cygnet::${name} ALIAS cygnet_${name})
endfunction()
