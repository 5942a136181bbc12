# interop.ops.mmsg: batched socket I/O (issue 13): iperf3 TCP through a Cygnet <-> Cygnet tunnel
# with ESP in UDP (UDP GSO on send, GRO on receive, sendmmsg / recvmmsg: counted in
# cygnetctl stats), the same with [daemon] offload = false (the fallback), and raw ESP. ~40 s.
cygnet_ops_test(mmsg mmsg.sh TIMEOUT 170)
