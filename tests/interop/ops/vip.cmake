# interop.ops.vip: strongSwan as a road-warrior client (vips = 0.0.0.0,::) of a Cygnet gateway
# with address pools: addresses, DNS, traffic from the virtual IP, the same address on reconnect
# and after cygnetd restarts.
cygnet_ops_test(vip vip.sh TIMEOUT 240)
