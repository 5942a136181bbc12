# Spoofed IKEv2/IKEv1 first messages against cygnetd while strongSwan connects (issue 12).
cygnet_ops_test(flood flood.sh)
