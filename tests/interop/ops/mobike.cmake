# interop.ops.mobike: strongSwan as a MOBIKE client (RFC 4555) of a Cygnet gateway; the client's
# address changes during a ping run: UPDATE_SA_ADDRESSES, return routability, same IKE SA.
cygnet_ops_test(mobike mobike.sh TIMEOUT 180)
