# Certificate revocation live: CRL over HTTP and `openssl ocsp`, Cygnet ↔ Cygnet (revocation.sh).
cygnet_ops_test(revocation revocation.sh TIMEOUT 240)
