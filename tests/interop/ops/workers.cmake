# interop.ops.workers: two cygnetd gateways with [daemon] workers = 2: iperf3 -P 4 TCP both ways,
# both workers carry traffic, no replay/sequence drops, then a rekey (life_bytes) during traffic. ~60 s.
cygnet_ops_test(workers workers.sh TIMEOUT 240)
