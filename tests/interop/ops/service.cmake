# interop.ops.service: cygnetd under a stand-in for systemd (notify socket, journal socket, watchdog)
# in network namespaces with a tunnel to a second cygnetd. Root only (77 otherwise); about 15 s.
cygnet_ops_test(service service.sh TIMEOUT 120 ARGS ${PROJECT_BINARY_DIR})
