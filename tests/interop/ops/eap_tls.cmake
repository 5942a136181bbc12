# interop.ops.eap_tls: EAP-TLS (RFC 5216) in IKE_AUTH against strongSwan: strongSwan as the
# road-warrior client of a Cygnet gateway (client certificate checked with its CRL, virtual IP,
# ping; a revoked client certificate refused), then Cygnet as the EAP-TLS client of a strongSwan
# gateway.
cygnet_ops_test(eap_tls eap_tls.sh TIMEOUT 240)
