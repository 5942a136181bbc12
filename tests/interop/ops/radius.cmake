# EAP-RADIUS live: cygnetd's RADIUS client relays EAP-MSCHAPv2 to FreeRADIUS (Access-Challenge
# rounds, Access-Accept with the MSK, Access-Reject), fails over past a silent server, reports a
# wrong shared secret, and sends accounting Start/Stop that FreeRADIUS records (radius.sh).
add_executable(cygnet-radius-eap-driver ${CMAKE_CURRENT_SOURCE_DIR}/radius_eap_driver.cpp)
target_link_libraries(cygnet-radius-eap-driver PRIVATE cygnet::daemon)
cygnet_strict_warnings(cygnet-radius-eap-driver)
cygnet_ops_test(radius radius.sh TIMEOUT 180 ARGS $<TARGET_FILE:cygnet-radius-eap-driver>)
