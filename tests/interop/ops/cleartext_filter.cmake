# interop.ops.cleartext-filter: spoofed cleartext that bypasses the tunnel is dropped by the
# nftables table cygnetd installs (and got through with drop_cleartext = false). ~20 s.
add_test(NAME interop.ops.cleartext-filter
         COMMAND ${CYGNET_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/cleartext_filter.sh
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(interop.ops.cleartext-filter PROPERTIES
                     ENVIRONMENT "CYGNETD=$<TARGET_FILE:cygnetd>;CYGNETCTL=$<TARGET_FILE:cygnetctl>"
                     TIMEOUT 120
                     RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77
                     LABELS interop)
