# `cygnetctl why` against strongSwan with disjoint IKE proposals, Cygnet in each role.
foreach(role initiator responder)
  set(test interop.ops.why-proposal-mismatch-cygnet-${role})
  add_test(NAME ${test}
           COMMAND ${CYGNET_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/why.sh ${role}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(${test} PROPERTIES
                       ENVIRONMENT "CYGNETD=$<TARGET_FILE:cygnetd>;CYGNETCTL=$<TARGET_FILE:cygnetctl>"
                       TIMEOUT 90
                       RUN_SERIAL TRUE
                       SKIP_RETURN_CODE 77
                       LABELS interop)
endforeach()
