# interop.ops.builtin_proposals: strongSwan's charon offering exactly the default IKE/ESP proposals
# of each built-in client family (Windows, macOS/iOS, Android, the strongSwan app/NetworkManager
# with certificates) to cygnetd running the matching examples/rw-*.toml: those Cygnet accepts come
# up with a virtual IP and carry a ping; Windows' weak defaults are refused with NO_PROPOSAL_CHOSEN.
cygnet_ops_test(builtin_proposals builtin_proposals.sh TIMEOUT 240)
