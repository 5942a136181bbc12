# interop.ops.route-based: two route-based tunnels between two Cygnet gateways, BGP (BIRD) across
# them, a LAN prefix learned through a tunnel; one outer path cut, DPD → carrier down → BGP
# withdraws → traffic on the other tunnel. Prints the failover time.
cygnet_ops_test(route-based route_based.sh TIMEOUT 240)
