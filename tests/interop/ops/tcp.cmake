# interop.ops.tcp: TCP encapsulation (RFC 9329), Cygnet <-> Cygnet with UDP and ESP blocked by
# nftables: tcp = "always" (ping, iperf3, status, a broken connection reconnected, a bad prefix),
# tcp = "fallback" with UDP blocked (over TCP) and open (stays on UDP). ~60 s.
cygnet_ops_test(tcp tcp.sh TIMEOUT 240)
