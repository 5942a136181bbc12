#include "ike/child_sa.hpp"

#include <algorithm>

#include "ike/random_source.hpp"

namespace cygnet::ike {

namespace {

ipsec::LifetimeLimits volume_limits(std::uint64_t bytes, std::uint64_t packets) {
  // Time limits stay with the engine's timers (it rekeys before they matter); the data plane
  // enforces volume: soft (rekey) at 90 %, hard at 100 %.
  ipsec::LifetimeLimits limits;
  limits.hard_bytes = bytes;
  limits.soft_bytes = bytes - bytes / 10;
  limits.hard_packets = packets;
  limits.soft_packets = packets - packets / 10;
  return limits;
}

ipsec::SaParameters one_direction(const ChildSaParameterInput& in, ipsec::Direction direction,
                                  std::uint32_t spi, const crypto::SecureBytes& encryption_key,
                                  const crypto::SecureBytes& integrity_key) {
  const ChildSa& child = *in.child;
  ipsec::SaParameters p;
  p.spi = spi;
  p.protocol = child.protocol;
  p.mode = child.mode;
  p.direction = direction;
  p.local_address = in.local_address;
  p.remote_address = in.remote_address;
  if (child.protocol == ipsec::IpsecProtocol::Esp) p.udp_encapsulation = in.udp_encapsulation;
  if (child.protocol == ipsec::IpsecProtocol::Esp) {
    p.encryption = child.algorithms.encryption;
    p.encryption_key = encryption_key;
  }
  p.integrity = child.algorithms.integrity;
  if (p.integrity) p.integrity_key = integrity_key;
  p.extended_sequence_numbers = child.algorithms.extended_sequence_numbers;
  p.replay_window = direction == ipsec::Direction::Inbound ? in.replay_window : 0;
  p.lifetime = volume_limits(in.life_bytes, in.life_packets);
  if (!child.selectors.empty()) {
    p.selector = child.selectors.front();
    p.extra_selectors.assign(child.selectors.begin() + 1, child.selectors.end());
  }
  p.name = child.connection + "/" + child.child;
  return p;
}

}  // namespace

ChildSaParameters build_child_sa_parameters(const ChildSaParameterInput& in) {
  const ChildSaKeys& k = *in.keys;
  // Keys "_i" protect traffic from the exchange initiator to the exchange responder (§2.17).
  const bool i = in.we_initiated_exchange;
  ChildSaParameters out;
  out.outbound = one_direction(in, ipsec::Direction::Outbound, in.child->outbound_spi,
                               i ? k.encryption_i : k.encryption_r, i ? k.integrity_i : k.integrity_r);
  out.inbound = one_direction(in, ipsec::Direction::Inbound, in.child->inbound_spi,
                              i ? k.encryption_r : k.encryption_i, i ? k.integrity_r : k.integrity_i);
  return out;
}

ChildSaStatus child_sa_status(const ChildSa& c, TimePoint now) {
  ChildSaStatus ch;
  ch.id = c.id;
  ch.child = c.child;
  ch.inbound_spi = c.inbound_spi;
  ch.outbound_spi = c.outbound_spi;
  ch.protocol = c.protocol;
  ch.mode = c.mode;
  ch.algorithms = c.algorithms.to_string();
  ch.selectors = c.selectors;
  ch.age = std::chrono::duration_cast<Seconds>(now - c.created);
  if (c.rekey_at && !c.rekey_requested && c.state == ChildSaState::Installed)
    ch.rekey_in = std::chrono::duration_cast<Seconds>(std::max(Duration{0}, *c.rekey_at - now));
  ch.udp_encapsulated = c.udp_encapsulated;
  ch.per_resource = c.per_resource;
  ch.resource = c.resource;
  return ch;
}

InstallChildSa install_child_action(const ChildSa& c, ChildSaParameters params,
                                    std::optional<ChildSaId> replaces, bool route_outbound) {
  InstallChildSa install;
  install.id = c.id;
  install.ike_sa = c.ike_sa;
  install.connection = c.connection;
  install.child = c.child;
  install.inbound = std::move(params.inbound);
  install.outbound = std::move(params.outbound);
  install.selectors = c.selectors;
  install.replaces = replaces;
  install.route_outbound = route_outbound;
  install.resource = c.resource;
  return install;
}

bool same_protocol(wire::ikev2::ProtocolId named, ipsec::IpsecProtocol child) {
  return (named == wire::ikev2::ProtocolId::Esp && child == ipsec::IpsecProtocol::Esp) ||
         (named == wire::ikev2::ProtocolId::Ah && child == ipsec::IpsecProtocol::Ah);
}

std::uint32_t random_child_spi(RandomSource& random) {
  for (;;) {
    const std::uint32_t spi = random.next_u32();
    if (spi >= 256) return spi;
  }
}

}  // namespace cygnet::ike
