# interop.ops.pmtu: path MTU (issue 13): a router with a 1280-byte link between two cygnetd;
# TCP both ways (ICMP learned on one side, the route's MTU on the other), then MSS clamping
# seen in a capture. ~40 s.
cygnet_ops_test(pmtu pmtu.sh TIMEOUT 150)
