# `cygnetctl why` against strongSwan with disjoint IKE proposals, Cygnet in each role.
foreach(role initiator responder)
  cygnet_ops_test(why-proposal-mismatch-cygnet-${role} why.sh ARGS ${role})
endforeach()
