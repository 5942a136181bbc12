# interop.ops.offload: TUN offloads (issue 13): iperf3 TCP through a Cygnet <-> Cygnet tunnel with
# TSO/GRO on (super-packets split, coalesced writes, seen in cygnetctl stats) and with
# [daemon] offload = false (the fallback). ~30 s.
cygnet_ops_test(offload offload.sh TIMEOUT 120)
