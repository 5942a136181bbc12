# interop.ops.export-keys: Wireshark key export, checked by tshark decrypting a live capture.
add_test(NAME interop.ops.export-keys
         COMMAND ${CYGNET_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/export_keys.sh
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(interop.ops.export-keys PROPERTIES
                     ENVIRONMENT "CYGNETD=$<TARGET_FILE:cygnetd>;CYGNETCTL=$<TARGET_FILE:cygnetctl>"
                     TIMEOUT 120 RUN_SERIAL TRUE SKIP_RETURN_CODE 77 LABELS interop)
