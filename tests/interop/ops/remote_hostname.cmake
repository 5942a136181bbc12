# interop.ops.remote-hostname: remote_addrs with a host name, resolved again on retry.
cygnet_ops_test(remote-hostname remote_hostname.sh)
