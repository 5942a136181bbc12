# interop.ops.service: cygnetd under a stand-in for systemd (notify socket, journal socket, watchdog)
# in network namespaces with a tunnel to a second cygnetd. Root only (77 otherwise); about 15 s.
if(TARGET cygnetd AND TARGET cygnetctl)
  add_test(NAME interop.ops.service
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/service.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(interop.ops.service PROPERTIES RUN_SERIAL TRUE SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()
