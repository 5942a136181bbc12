# interop.ops.shunts: pass and drop shunts before a 0.0.0.0/0 tunnel between two cygnetd (LAN kept
# local and in the clear, a range dropped and counted, the rest through ESP). ~20 s.
cygnet_ops_test(shunts shunts.sh TIMEOUT 120)
