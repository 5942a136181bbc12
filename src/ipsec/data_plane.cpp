#include "ipsec/data_plane.hpp"

#include "ipsec/mss_clamp.hpp"
#include "ipsec/packet_path.hpp"
#include "wire/byte_reader.hpp"
#include "wire/icmp_too_big.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::ipsec {

namespace {

constexpr std::size_t kAssumedPathMtu = 1500;  // for a derived MSS clamp while no path MTU is known
constexpr std::size_t kIpv4MinimumMtu = 68;    // RFC 791: every IPv4 host accepts this

bool is_tcp_syn(ByteView ip_packet, const wire::IpPacketInfo& info) {
  return info.protocol == wire::ip_protocol::kTcp && !info.is_fragment &&
         info.header_length + 14 <= info.total_length && (ip_packet[info.header_length + 13] & 0x02) != 0;
}

bool ipv4_dont_fragment(ByteView ip_packet) {
  return (ip_packet[6] & 0x40) != 0;
}

}  // namespace

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

bool DataPlane::bind_outbound_sa(PolicyId policy, std::optional<SaHandle> sa) {
  return spd_.bind_sa(policy, sa, sa ? sad_.entry(*sa) : nullptr);
}

OutboundOutcome DataPlane::process_outbound(ByteView ip_packet, MutableByteView out, TimePoint now) {
  auto info = wire::parse_ip_packet(ip_packet);
  if (!info) return drop_outbound(DropReason::Malformed, std::nullopt);
  const Policy* policy = spd_.lookup_outbound(*info);
  if (policy == nullptr) return drop_outbound(DropReason::PolicyDiscard, std::nullopt);

  OutboundOutcome o;
  o.policy = policy->id;
  switch (policy->action) {
    case PolicyAction::Discard: return drop_outbound(DropReason::PolicyDiscard, policy->id);
    case PolicyAction::Bypass:
      counters_.bypassed.packets++;
      counters_.bypassed.bytes += info->total_length;
      o.kind = OutboundOutcome::Kind::Bypass;
      return o;
    case PolicyAction::Protect: break;
  }
  SecurityAssociation* sa = policy->outbound_sa_entry ? policy->outbound_sa_entry->sa.get()
                            : policy->outbound_sa     ? sad_.find(*policy->outbound_sa)
                                                      : nullptr;
  return protect(sa, policy->outbound_sa, policy->id, ip_packet, *info, out, now);
}

OutboundOutcome DataPlane::process_outbound_on_sa(std::optional<SaHandle> handle, ByteView ip_packet,
                                                  MutableByteView out, TimePoint now) {
  auto info = wire::parse_ip_packet(ip_packet);
  if (!info) return drop_outbound(DropReason::Malformed, std::nullopt);
  SecurityAssociation* sa = handle ? sad_.find(*handle) : nullptr;
  // No SPD chose this SA: its selectors still bound what it may carry (an IPv6 packet in a
  // 0.0.0.0/0 tunnel would only be dropped by the peer's inbound check).
  if (sa != nullptr && sa->usable() && !sa->params().carries_outbound(*info)) {
    sa->count_drop(DropReason::PolicyMismatch);
    OutboundOutcome d = drop_outbound(DropReason::PolicyMismatch, std::nullopt);
    d.sa = handle;
    return d;
  }
  return protect(sa, handle, std::nullopt, ip_packet, *info, out, now);
}

OutboundOutcome DataPlane::protect(SecurityAssociation* sa, std::optional<SaHandle> handle,
                                   std::optional<PolicyId> policy, ByteView ip_packet,
                                   const wire::IpPacketInfo& packet_info, MutableByteView out,
                                   TimePoint now) {
  const wire::IpPacketInfo* info = &packet_info;
  OutboundOutcome o;
  o.policy = policy;
  if (sa == nullptr || !sa->usable()) {
    // "No SA yet" (or the SA just died): the caller starts or awaits a negotiation.
    o.kind = OutboundOutcome::Kind::Acquire;
    return o;
  }
  o.sa = handle;
  if (sa->params().mss_clamp && is_tcp_syn(ip_packet, *info)) {
    clamp_buffer_.assign(ip_packet.begin(),
                         ip_packet.begin() + static_cast<std::ptrdiff_t>(info->total_length));
    clamp_mss(*sa, clamp_buffer_, info->family, now);
    ip_packet = clamp_buffer_;
  }
  if (!path_mtu_.empty()) {
    const auto pmtu = path_mtu_.current(sa->params().remote_address, now);
    if (pmtu && encapsulated_length(*sa, *info) > *pmtu) {
      if (auto answered = handle_too_big(*sa, *info, ip_packet, out, now)) {
        answered->policy = policy;
        answered->sa = handle;
        return *answered;
      }
      o.fragment_to = *pmtu;
    }
  }
  // Parsed once: the SPD lookup's parse serves ESP/AH too (an MSS clamp changes no header field).
  o.result = sa->protocol() == IpsecProtocol::Esp ? esp_encapsulate(*sa, ip_packet, *info, out, now)
                                                  : ah_encapsulate(*sa, ip_packet, *info, out, now);
  if (!o.result.ok) {
    OutboundOutcome d = drop_outbound(o.result.drop, policy);
    d.sa = o.sa;
    d.result = o.result;  // carries the lifetime event (e.g. exhaustion → Expired)
    return d;
  }
  counters_.outbound.packets++;
  counters_.outbound.bytes += info->total_length;
  if (o.fragment_to != 0) counters_.path_mtu.fragmented_packets++;
  o.kind = OutboundOutcome::Kind::Protected;
  o.sa_entry = sa;
  return o;
}

std::optional<OutboundOutcome> DataPlane::handle_too_big(SecurityAssociation& sa,
                                                         const wire::IpPacketInfo& info, ByteView ip_packet,
                                                         MutableByteView out, TimePoint now) {
  const std::size_t pmtu = *path_mtu_.current(sa.params().remote_address, now);
  const std::size_t fit = inner_mtu(sa, pmtu, info.family);
  // IPv4 without DF may be fragmented: the outer packet is (its DF is clear too). An IPv6 sender
  // never goes below 1280 (RFC 8200 §5), so below that the outer packet is fragmented instead.
  if (info.family == wire::IpFamily::V4 ? !ipv4_dont_fragment(ip_packet) : fit < kIpv6MinimumPathMtu) {
    return std::nullopt;
  }
  OutboundOutcome o;
  sa.count_drop(DropReason::TooBig);
  counters_.drops.count(DropReason::TooBig);
  o.kind = OutboundOutcome::Kind::Dropped;
  o.drop = DropReason::TooBig;
  if (!wire::may_answer_with_icmp_error(ip_packet)) return o;
  // From the gateway's own outer address, as a router on the path would answer (and as Linux
  // XFRM does); an inner packet of the other family gets its own destination as the source.
  const wire::IpAddress source =
      sa.params().local_address.family() == info.family ? sa.params().local_address : info.destination;
  const std::size_t mtu = info.family == wire::IpFamily::V4 ? std::max(fit, kIpv4MinimumMtu) : fit;
  const std::size_t length =
      wire::build_icmp_too_big(out, source, ip_packet, static_cast<std::uint32_t>(mtu));
  if (length == 0) return o;
  counters_.path_mtu.too_big_sent++;
  o.kind = OutboundOutcome::Kind::TooBig;
  o.result.ok = true;
  o.result.length = length;
  return o;
}

void DataPlane::clamp_mss(const SecurityAssociation& sa, MutableByteView ip_packet, wire::IpFamily family,
                          TimePoint now) {
  std::uint16_t mss = *sa.params().mss_clamp;
  if (mss == 0) {
    const std::size_t mtu = inner_mtu_of(sa, family, now).value_or(inner_mtu(sa, kAssumedPathMtu, family));
    mss = mss_for_mtu(mtu, family == wire::IpFamily::V6);
  }
  if (mss != 0 && clamp_tcp_mss(ip_packet, mss)) counters_.path_mtu.mss_clamped++;
}

std::optional<std::size_t> DataPlane::inner_mtu_of(const SecurityAssociation& sa, wire::IpFamily family,
                                                   TimePoint now) const {
  const auto pmtu = path_mtu_.current(sa.params().remote_address, now);
  if (!pmtu) return std::nullopt;
  return inner_mtu(sa, *pmtu, family);
}

bool DataPlane::on_icmp_too_big(ByteView ip_packet, TimePoint now) {
  const auto message = wire::parse_icmp_too_big(ip_packet);
  std::optional<IpsecProtocol> protocol;
  std::uint32_t spi = 0;
  std::optional<std::pair<std::uint16_t, std::uint16_t>> ports;
  if (message) {
    const ByteView q = message->quoted_payload;
    if (message->quoted_protocol == wire::ip_protocol::kEsp && q.size() >= 4) {
      protocol = IpsecProtocol::Esp;
      spi = wire::load_be32(q.data());
    } else if (message->quoted_protocol == wire::ip_protocol::kAh && q.size() >= 8) {
      protocol = IpsecProtocol::Ah;
      spi = wire::load_be32(q.data() + 4);
    } else if (message->quoted_protocol == wire::ip_protocol::kUdp &&
               q.size() >= wire::kUdpHeaderLength + 4) {
      // ESP in UDP: only when the router quoted past the 8 bytes RFC 792 requires (most do).
      protocol = IpsecProtocol::Esp;
      ports = std::pair{wire::load_be16(q.data()), wire::load_be16(q.data() + 2)};
      spi = wire::load_be32(q.data() + wire::kUdpHeaderLength);  // 0 = the non-ESP marker: IKE
    }
  }
  const SecurityAssociation* ours = nullptr;
  if (protocol && spi != 0) {
    sad_.for_each([&](SaHandle, const SecurityAssociation& sa) {
      const SaParameters& p = sa.params();
      if (ours != nullptr || p.direction != Direction::Outbound || p.spi != spi || p.protocol != *protocol)
        return;
      if (p.local_address != message->quoted_source || p.remote_address != message->quoted_destination)
        return;
      const bool encapsulated = p.udp_encapsulation.has_value();
      if (encapsulated != ports.has_value()) return;
      if (ports && (ports->first != p.udp_encapsulation->local_port ||
                    ports->second != p.udp_encapsulation->remote_port)) {
        return;
      }
      ours = &sa;
    });
  }
  if (ours == nullptr) {
    counters_.path_mtu.icmp_ignored++;
    return false;
  }
  std::uint32_t mtu = message->mtu;
  if (message->family == wire::IpFamily::V4 && mtu == 0)
    mtu = wire::mtu_plateau_below(message->quoted_total_length);
  if (!path_mtu_.learn(ours->params().remote_address, mtu, now)) {
    counters_.path_mtu.icmp_ignored++;
    return false;
  }
  counters_.path_mtu.icmp_accepted++;
  return true;
}

InboundOutcome DataPlane::process_inbound(ByteView ip_packet, MutableByteView out, TimePoint now) {
  auto info = wire::parse_ip_packet(ip_packet);
  if (!info) return drop_inbound(DropReason::Malformed, std::nullopt);

  IpsecProtocol protocol = IpsecProtocol::Esp;
  std::size_t offset = info->header_length;
  switch (info->protocol) {
    case wire::ip_protocol::kEsp: break;
    case wire::ip_protocol::kAh: protocol = IpsecProtocol::Ah; break;
    case wire::ip_protocol::kUdp: {
      const std::size_t udp_end = info->header_length + wire::kUdpHeaderLength;
      if (info->destination_port == wire::kNatTraversalPort && !info->is_fragment &&
          udp_end <= info->total_length &&
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
        o.policy = policy->id;
        return o;
      }
      // Traffic a PROTECT policy covers must arrive protected; DISCARD and unmatched are dropped.
      InboundOutcome d = drop_inbound(policy != nullptr && policy->action == PolicyAction::Protect
                                          ? DropReason::PolicyMismatch
                                          : DropReason::PolicyDiscard,
                                      std::nullopt);
      if (policy != nullptr && policy->action == PolicyAction::Discard) d.policy = policy->id;
      return d;
    }
  }
  if (offset + 8 > info->total_length) return drop_inbound(DropReason::Malformed, std::nullopt);
  const std::uint32_t spi =
      wire::load_be32(ip_packet.data() + offset + (protocol == IpsecProtocol::Ah ? 4 : 0));
  auto handle = sad_.find_inbound_handle(spi, info->destination, protocol);
  if (!handle) return drop_inbound(DropReason::UnknownSpi, std::nullopt);
  SecurityAssociation& sa = *sad_.find(*handle);

  InboundOutcome o;
  o.sa = handle;
  o.result = protocol == IpsecProtocol::Esp ? esp_decapsulate(sa, ip_packet, offset, out, now)
                                            : ah_decapsulate(sa, ip_packet, offset, out, now);
  return finish_inbound(sa, o, out, now);
}

InboundOutcome DataPlane::process_esp_in_udp(ByteView esp, const UdpEndpoints& endpoints, MutableByteView out,
                                             TimePoint now) {
  if (esp.size() < 8) return drop_inbound(DropReason::Malformed, std::nullopt);
  auto handle =
      sad_.find_inbound_handle(wire::load_be32(esp.data()), endpoints.local_address, IpsecProtocol::Esp);
  if (!handle) return drop_inbound(DropReason::UnknownSpi, std::nullopt);
  SecurityAssociation& sa = *sad_.find(*handle);
  if (sa.mode() != Mode::Tunnel) {
    // Transport mode rebuilds the original packet around the outer header: put one back (rare).
    const std::size_t length = rebuild_udp_packet(esp, endpoints);
    if (length == 0) return drop_inbound(DropReason::Malformed, std::nullopt);
    return process_inbound(ByteView(rebuilt_.data(), length), out, now);
  }
  InboundOutcome o;
  o.sa = handle;
  o.result = esp_decapsulate_tunnel_payload(sa, esp, out, now);
  return finish_inbound(sa, o, out, now);
}

InboundOutcome DataPlane::finish_inbound(SecurityAssociation& sa, InboundOutcome o, MutableByteView out,
                                         TimePoint now) {
  if (!o.result.ok) {
    InboundOutcome d = drop_inbound(o.result.drop, o.sa);
    d.result = o.result;
    return d;
  }
  auto inner = wire::parse_ip_packet(ByteView(out.data(), o.result.length));
  if (!inner || !sa.params().carries_inbound(*inner)) {
    sa.count_drop(DropReason::PolicyMismatch);
    InboundOutcome d = drop_inbound(DropReason::PolicyMismatch, o.sa);
    d.result = o.result;
    d.result.ok = false;
    return d;
  }
  // A DISCARD policy (a drop shunt) comes before every tunnel: it refuses the inner packet even
  // though the SA's selectors carry it. No lookup while the SPD has no DISCARD policy.
  if (spd_.discard_count() != 0) {
    const Policy* policy = spd_.lookup_inbound(*inner);
    if (policy != nullptr && policy->action == PolicyAction::Discard) {
      sa.count_drop(DropReason::PolicyDiscard);
      InboundOutcome d = drop_inbound(DropReason::PolicyDiscard, o.sa);
      d.result = o.result;
      d.result.ok = false;
      d.policy = policy->id;
      return d;
    }
  }
  if (sa.params().mss_clamp && is_tcp_syn(ByteView(out.data(), o.result.length), *inner)) {
    clamp_mss(sa, MutableByteView(out.data(), o.result.length), inner->family, now);
  }
  counters_.inbound.packets++;
  counters_.inbound.bytes += o.result.length;
  o.kind = InboundOutcome::Kind::Decapsulated;
  return o;
}

std::size_t DataPlane::rebuild_udp_packet(ByteView esp, const UdpEndpoints& e) {
  const bool v4 = e.local_address.is_v4();
  const std::size_t header =
      (v4 ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength) + wire::kUdpHeaderLength;
  const std::size_t total = header + esp.size();
  if (!fits_ip_length(e.local_address.family(), total)) return 0;
  if (rebuilt_.size() < total) rebuilt_.resize(total);
  MutableByteView ip(rebuilt_.data(), total);
  if (v4) {
    wire::Ipv4HeaderFields h;
    h.source = e.remote_address;
    h.destination = e.local_address;
    h.protocol = wire::ip_protocol::kUdp;
    h.total_length = static_cast<std::uint16_t>(total);
    wire::write_ipv4_header(ip, h);
  } else {
    wire::Ipv6HeaderFields h;
    h.source = e.remote_address;
    h.destination = e.local_address;
    h.next_header = wire::ip_protocol::kUdp;
    h.payload_length = static_cast<std::uint16_t>(total - wire::kIpv6HeaderLength);
    wire::write_ipv6_header(ip, h);
  }
  wire::write_udp_header(ip.subspan(header - wire::kUdpHeaderLength), e.remote_port, e.local_port,
                         static_cast<std::uint16_t>(wire::kUdpHeaderLength + esp.size()));
  std::copy(esp.begin(), esp.end(), rebuilt_.begin() + static_cast<std::ptrdiff_t>(header));
  return total;
}

}  // namespace cygnet::ipsec
