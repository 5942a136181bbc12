# interop.ops.per_cpu_sas: RFC 9611 per-resource CHILD SAs: two cygnetd with workers = 2 and
# per_cpu_sas create the fallback + one CHILD SA per worker, iperf3 -P 4 uses both workers' SAs
# without replay drops; against strongSwan 5.9.8 (no RFC 9611) one SA pair. ~60 s.
cygnet_ops_test(per_cpu_sas per_cpu_sas.sh TIMEOUT 240)
