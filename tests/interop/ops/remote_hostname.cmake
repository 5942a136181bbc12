# interop.ops.remote-hostname: remote_addrs with a host name, resolved again on retry.
add_test(NAME interop.ops.remote-hostname
         COMMAND ${CYGNET_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/remote_hostname.sh
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(interop.ops.remote-hostname PROPERTIES
                     ENVIRONMENT "CYGNETD=$<TARGET_FILE:cygnetd>;CYGNETCTL=$<TARGET_FILE:cygnetctl>"
                     TIMEOUT 90 RUN_SERIAL TRUE SKIP_RETURN_CODE 77 LABELS interop)
