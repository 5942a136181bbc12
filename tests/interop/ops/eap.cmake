# interop.ops.eap: EAP-MSCHAPv2 in IKE_AUTH against strongSwan in both roles: strongSwan as the
# road-warrior client of a Cygnet gateway (certificate + EAP, virtual IP, ping; a wrong password
# refused with a clear log line), then Cygnet as the EAP client of a strongSwan gateway.
cygnet_ops_test(eap eap.sh TIMEOUT 240)
