# Strict warnings for project code only (third-party headers come in as SYSTEM).
function(cygnet_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wno-error=deprecated-declarations)
endfunction()

# A layer library built from every .cpp in its folder.
function(cygnet_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(cygnet_${name} STATIC ${sources})
  target_include_directories(cygnet_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(cygnet_${name} PUBLIC ${ARG_DEPS})
  cygnet_strict_warnings(cygnet_${name})
  add_library(cygnet::${name} ALIAS cygnet_${name})
endfunction()
