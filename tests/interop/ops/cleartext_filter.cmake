# interop.ops.cleartext-filter: spoofed cleartext that bypasses the tunnel is dropped by the
# nftables table cygnetd installs (and got through with drop_cleartext = false). ~20 s.
cygnet_ops_test(cleartext-filter cleartext_filter.sh TIMEOUT 120)
