// Which address an ISAKMP SA answers to. A peer's address or port changes only where NAT
// detection (RFC 3947 §4/§5) explains it, and only on a message that decrypted and passed its
// HASH/signature check: an unauthenticated datagram from elsewhere is answered at the old address
// and counted (refusal "address_change"), so a spoofed source cannot redirect the SA.
#include "ike/v1/ikev1_engine.hpp"

namespace cygnet::ike::v1 {

void Ikev1Engine::follow_peer_address(IsakmpSa& s) {
  if (!arrival_) return;
  const auto& [local, remote] = *arrival_;
  if (s.local == local && s.remote == remote) return;
  // The normal float of RFC 3947 §4: same addresses, both sides move to port 4500 once a NAT is seen.
  const bool port_float = (s.nat_local || s.nat_remote) && local.port == isakmp::kNatTraversalPort &&
                          s.local.address == local.address && s.remote.address == remote.address;
  // Otherwise only a NAT in front of the peer can give it a new address or port.
  if (!port_float && !s.nat_remote) {
    shared_.counters.refusals.count(RefusalReason::AddressChange);
    return;
  }
  s.local = local;
  if (s.remote != remote) peer_address_changed(s, remote);
  s.remote = remote;
}

}  // namespace cygnet::ike::v1
