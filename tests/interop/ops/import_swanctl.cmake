# interop.ops.import-swanctl: cygnetctl import-swanctl on the strongSwan side of interop scenarios
# (IKEv2 PSK suites and defaults, ECDSA/RSA certificates, IKEv1 Main Mode PSK/certificates/PFS); the
# imported cygnetd must establish with the original strongSwan configuration and carry pings. ~30 s.
cygnet_ops_test(import-swanctl import_swanctl.sh TIMEOUT 150)
