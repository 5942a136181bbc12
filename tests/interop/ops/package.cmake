# interop.ops.package: the Debian package built, installed into a fresh Debian 12 root
# (mmdebstrap, network to the Debian archive), checked there; the unit verified. Root only
# (77 = skipped otherwise); about 1-2 minutes, most of it downloading.
add_test(NAME interop.ops.package
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/package.sh ${PROJECT_BINARY_DIR})
set_tests_properties(interop.ops.package PROPERTIES RUN_SERIAL TRUE SKIP_RETURN_CODE 77 TIMEOUT 300)
