# interop.ops.eap_radius: strongSwan road warrior (EAP-MSCHAPv2, virtual IP) → cygnetd gateway
# with remote_auth = "eap-radius" → FreeRADIUS started by the test: tunnel up, ping, accounting
# Start/Stop with octets; a wrong password and a wrong RADIUS secret refused cleanly (eap_radius.sh).
cygnet_ops_test(eap_radius eap_radius.sh TIMEOUT 240)
