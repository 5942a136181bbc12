# Hostile local control clients (half lines, never reading, beyond the cap) stall neither
# cygnetctl nor the tunnel.
cygnet_ops_test(control-clients control_clients.sh)
