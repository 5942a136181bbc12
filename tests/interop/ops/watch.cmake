# Watching a gateway: the Prometheus endpoint and `cygnetctl monitor`.
cygnet_ops_test(metrics metrics.sh)
cygnet_ops_test(monitor monitor.sh)
