# interop.ops.import-swanctl: cygnetctl import-swanctl on the strongSwan side of interop scenarios
# (IKEv2 PSK suites and defaults, ECDSA/RSA certificates, IKEv1 Main Mode PSK/certificates/PFS); the
# imported cygnetd must establish with the original strongSwan configuration and carry pings. ~30 s.
if(EXISTS /usr/lib/ipsec/charon AND TARGET cygnetd AND TARGET cygnetctl AND NOT CYGNET_SANITIZE)
  find_program(CYGNET_BASH bash REQUIRED)
  add_test(NAME interop.ops.import-swanctl
           COMMAND ${CYGNET_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/import_swanctl.sh
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(interop.ops.import-swanctl PROPERTIES
                       ENVIRONMENT "CYGNETD=$<TARGET_FILE:cygnetd>;CYGNETCTL=$<TARGET_FILE:cygnetctl>"
                       TIMEOUT 150
                       RUN_SERIAL TRUE
                       SKIP_RETURN_CODE 77
                       LABELS interop)
endif()
