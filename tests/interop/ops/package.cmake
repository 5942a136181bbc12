# interop.ops.package: the Debian package built, installed into a fresh Debian 12 root
# (mmdebstrap, network to the Debian archive), checked there; the unit verified. Root only
# (77 = skipped otherwise); about 1-2 minutes, most of it downloading.
cygnet_ops_test(package package.sh TIMEOUT 300 ARGS ${PROJECT_BINARY_DIR})
