# interop.ops.unique: two strongSwan clients with one identity dial a Cygnet gateway (unique =
# replace, then keep); a strongSwan client and a Cygnet client reauthenticate with traffic running.
cygnet_ops_test(unique unique.sh TIMEOUT 240)
