#include "ipsec/data_plane.hpp"

#include "wire/byte_reader.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::ipsec {

OutboundOutcome DataPlane::drop_outbound(DropReason reason, std::optional<PolicyId> policy) {
  counters_.drops.count(reason);
  OutboundOutcome o;
  o.kind = OutboundOutcome::Kind::Dropped;
  o.drop = reason;
  o.policy = policy;
  return o;
}

InboundOutcome DataPlane::drop_inbound(DropReason reason, std::optional<SaHandle> sa) {
  counters_.drops.count(reason);
  InboundOutcome o;
  o.kind = InboundOutcome::Kind::Dropped;
  o.drop = reason;
  o.sa = sa;
  return o;
}

OutboundOutcome DataPlane::process_outbound(ByteView ip_packet, MutableByteView out, TimePoint now) {
  auto info = wire::parse_ip_packet(ip_packet);
  if (!info) return drop_outbound(DropReason::Malformed, std::nullopt);
  const Policy* policy = spd_.lookup_outbound(*info);
  if (policy == nullptr) return drop_outbound(DropReason::PolicyDiscard, std::nullopt);

  OutboundOutcome o;
  o.policy = policy->id;
  switch (policy->action) {
    case PolicyAction::Discard:
      return drop_outbound(DropReason::PolicyDiscard, policy->id);
    case PolicyAction::Bypass:
      counters_.bypassed.packets++;
      counters_.bypassed.bytes += info->total_length;
      o.kind = OutboundOutcome::Kind::Bypass;
      return o;
    case PolicyAction::Protect:
      break;
  }
  SecurityAssociation* sa = policy->outbound_sa ? sad_.find(*policy->outbound_sa) : nullptr;
  if (sa == nullptr || !sa->usable()) {
    // "No SA yet" (or the SA just died): the caller starts or awaits a negotiation.
    o.kind = OutboundOutcome::Kind::Acquire;
    return o;
  }
  o.sa = policy->outbound_sa;
  o.result = sa->protocol() == IpsecProtocol::Esp ? esp_encapsulate(*sa, ip_packet, out, now)
                                                  : ah_encapsulate(*sa, ip_packet, out, now);
  if (!o.result.ok) {
    OutboundOutcome d = drop_outbound(o.result.drop, policy->id);
    d.sa = o.sa;
    d.result = o.result;  // carries the lifetime event (e.g. exhaustion → Expired)
    return d;
  }
  counters_.outbound.packets++;
  counters_.outbound.bytes += info->total_length;
  o.kind = OutboundOutcome::Kind::Protected;
  return o;
}

InboundOutcome DataPlane::process_inbound(ByteView ip_packet, MutableByteView out, TimePoint now) {
  auto info = wire::parse_ip_packet(ip_packet);
  if (!info) return drop_inbound(DropReason::Malformed, std::nullopt);

  IpsecProtocol protocol = IpsecProtocol::Esp;
  std::size_t offset = info->header_length;
  switch (info->protocol) {
    case wire::ip_protocol::kEsp:
      break;
    case wire::ip_protocol::kAh:
      protocol = IpsecProtocol::Ah;
      break;
    case wire::ip_protocol::kUdp: {
      const std::size_t udp_end = info->header_length + wire::kUdpHeaderLength;
      if (info->destination_port == wire::kNatTraversalPort && !info->is_fragment && udp_end <= info->total_length &&
          wire::classify_udp4500_payload(ip_packet.subspan(udp_end, info->total_length - udp_end)) ==
              wire::Udp4500Payload::Esp) {
        offset = udp_end;
        break;
      }
      [[fallthrough]];  // IKE, keepalives and other UDP are cleartext to the data plane
    }
    default: {
      const Policy* policy = spd_.lookup_inbound(*info);
      if (policy != nullptr && policy->action == PolicyAction::Bypass) {
        counters_.bypassed.packets++;
        counters_.bypassed.bytes += info->total_length;
        InboundOutcome o;
        o.kind = InboundOutcome::Kind::Bypass;
        return o;
      }
      // Traffic a PROTECT policy covers must arrive protected; DISCARD and unmatched are dropped.
      return drop_inbound(policy != nullptr && policy->action == PolicyAction::Protect ? DropReason::PolicyMismatch
                                                                                        : DropReason::PolicyDiscard,
                          std::nullopt);
    }
  }
  if (offset + 8 > info->total_length) return drop_inbound(DropReason::Malformed, std::nullopt);
  const std::uint32_t spi = wire::load_be32(ip_packet.data() + offset + (protocol == IpsecProtocol::Ah ? 4 : 0));
  auto handle = sad_.find_inbound_handle(spi, info->destination, protocol);
  if (!handle) return drop_inbound(DropReason::UnknownSpi, std::nullopt);
  SecurityAssociation& sa = *sad_.find(*handle);

  InboundOutcome o;
  o.sa = handle;
  o.result = protocol == IpsecProtocol::Esp ? esp_decapsulate(sa, ip_packet, offset, out, now)
                                            : ah_decapsulate(sa, ip_packet, offset, out, now);
  if (!o.result.ok) {
    InboundOutcome d = drop_inbound(o.result.drop, handle);
    d.result = o.result;
    return d;
  }
  auto inner = wire::parse_ip_packet(ByteView(out.data(), o.result.length));
  if (!inner || !sa.params().carries_inbound(*inner)) {
    sa.drops().count(DropReason::PolicyMismatch);
    InboundOutcome d = drop_inbound(DropReason::PolicyMismatch, handle);
    d.result = o.result;
    d.result.ok = false;
    return d;
  }
  counters_.inbound.packets++;
  counters_.inbound.bytes += o.result.length;
  o.kind = InboundOutcome::Kind::Decapsulated;
  return o;
}

}  // namespace cygnet::ipsec
