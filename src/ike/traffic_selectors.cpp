#include "ike/traffic_selectors.hpp"

#include <algorithm>

#include "wire/ip_packet.hpp"

namespace cygnet::ike {

using wire::ikev2::TsType;

namespace {

TsType ts_type_for(const wire::IpAddress& address) {
  return address.is_v4() ? TsType::Ipv4AddrRange : TsType::Ipv6AddrRange;
}

// Both addresses of one family, and the TS type saying which.
bool well_formed(const TrafficSelector& ts) {
  return ts.start.family() == ts.end.family() && ts.type == ts_type_for(ts.start);
}

bool is_icmp(std::uint8_t protocol) {
  return protocol == wire::ip_protocol::kIcmp || protocol == wire::ip_protocol::kIcmpv6;
}

// RFC 7296 §3.13.1: start 65535 and end 0 is OPAQUE (ports not available, e.g. fragments).
bool is_opaque(const TrafficSelector& ts) { return ts.start_port == 65535 && ts.end_port == 0; }
bool all_ports(const TrafficSelector& ts) { return ts.start_port == 0 && ts.end_port == 65535; }

struct PortInterval {
  std::uint16_t start;
  std::uint16_t end;
};

// Intersection of two port fields, OPAQUE included: OPAQUE meets "any" or OPAQUE as OPAQUE, and
// nothing else.
std::optional<PortInterval> intersect_ports(const TrafficSelector& a, const TrafficSelector& b) {
  if (is_opaque(a) || is_opaque(b)) {
    if ((is_opaque(a) || all_ports(a)) && (is_opaque(b) || all_ports(b))) return PortInterval{65535, 0};
    return std::nullopt;
  }
  const PortInterval out{std::max(a.start_port, b.start_port), std::min(a.end_port, b.end_port)};
  if (out.start > out.end) return std::nullopt;
  return out;
}

// Whether `inner` lies inside `outer` (addresses, protocol and ports).
bool contains(const TrafficSelector& outer, const TrafficSelector& inner) {
  if (!well_formed(outer) || !well_formed(inner) || outer.type != inner.type) return false;
  if (outer.ip_protocol != 0 && outer.ip_protocol != inner.ip_protocol) return false;
  if (!(outer.start <= inner.start && inner.end <= outer.end)) return false;
  if (is_opaque(inner)) return is_opaque(outer) || all_ports(outer);
  if (is_opaque(outer)) return false;
  return outer.start_port <= inner.start_port && inner.end_port <= outer.end_port;
}

const char* protocol_name(std::uint8_t protocol) {
  switch (protocol) {
    case wire::ip_protocol::kIcmp: return "icmp";
    case wire::ip_protocol::kIcmpv6: return "ipv6-icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    default: return nullptr;
  }
}

void push_unique(std::vector<TrafficSelector>& out, const TrafficSelector& ts) {
  if (std::find(out.begin(), out.end(), ts) == out.end()) out.push_back(ts);
}

// Drops every selector that another one in the list already covers (the /32 a trigger packet
// produced inside the configured range), keeping the first of equal ones.
std::vector<TrafficSelector> without_covered(const std::vector<TrafficSelector>& list) {
  std::vector<TrafficSelector> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    bool covered = false;
    for (std::size_t j = 0; j < list.size() && !covered; ++j) {
      if (i == j || !contains(list[j], list[i])) continue;
      covered = !(list[j] == list[i]) || j < i;
    }
    if (!covered) out.push_back(list[i]);
  }
  return out;
}

std::vector<TrafficSelector> narrow_side(const std::vector<TrafficSelector>& proposed,
                                         const std::vector<TrafficSelector>& allowed) {
  std::vector<TrafficSelector> out;
  for (const TrafficSelector& p : proposed)
    for (const TrafficSelector& a : allowed)
      if (std::optional<TrafficSelector> both = ts_intersect(p, a)) push_unique(out, *both);
  return without_covered(out);
}

ipsec::PortRange port_range(const TrafficSelector& ts) {
  // OPAQUE cannot be expressed in the data plane; like strongSwan's kernel backends, install "any".
  if (is_opaque(ts)) return ipsec::PortRange{};
  return ipsec::PortRange{ts.start_port, ts.end_port};
}

// ICMP: the 16-bit TS port carries type << 8 | code (RFC 7296 §3.13.1 → RFC 4301 §4.4.1.1). The
// data plane keeps the type in local_ports and the code in remote_ports whatever the direction
// (ipsec::Selector), so the two TS ranges are intersected into one type/code range and split.
bool set_icmp_ports(const TrafficSelector& local, const TrafficSelector& remote, ipsec::Selector& out) {
  const std::optional<PortInterval> both = intersect_ports(local, remote);
  if (!both) return false;
  if (both->start > both->end || (both->start == 0 && both->end == 65535)) return true;  // any / OPAQUE
  const auto first_type = static_cast<std::uint16_t>(both->start >> 8);
  const auto last_type = static_cast<std::uint16_t>(both->end >> 8);
  if (!(first_type == 0 && last_type == 255)) out.local_ports = ipsec::PortRange{first_type, last_type};
  if (first_type == last_type) {
    const auto first_code = static_cast<std::uint16_t>(both->start & 0xff);
    const auto last_code = static_cast<std::uint16_t>(both->end & 0xff);
    if (!(first_code == 0 && last_code == 255)) out.remote_ports = ipsec::PortRange{first_code, last_code};
  }
  return true;
}

}  // namespace

TrafficSelector ts_from_prefix(const wire::IpPrefix& prefix, std::uint8_t ip_protocol, std::uint16_t start_port,
                               std::uint16_t end_port) {
  const ipsec::AddressRange range = ipsec::AddressRange::from_prefix(prefix);
  TrafficSelector ts;
  ts.type = ts_type_for(range.first);
  ts.ip_protocol = ip_protocol;
  ts.start_port = start_port;
  ts.end_port = end_port;
  ts.start = range.first;
  ts.end = range.last;
  return ts;
}

TrafficSelector ts_from_address(const wire::IpAddress& address) {
  TrafficSelector ts;
  ts.type = ts_type_for(address);
  ts.start = address;
  ts.end = address;
  return ts;
}

std::vector<TrafficSelector> ts_from_prefixes(const std::vector<wire::IpPrefix>& prefixes) {
  std::vector<TrafficSelector> out;
  out.reserve(prefixes.size());
  for (const wire::IpPrefix& prefix : prefixes) out.push_back(ts_from_prefix(prefix));
  return out;
}

std::string ts_to_string(const TrafficSelector& ts) {
  std::string out = ts.start == ts.end ? ts.start.to_string() : ipsec::AddressRange{ts.start, ts.end}.to_string();
  if (ts.ip_protocol == 0 && all_ports(ts)) return out;
  out += "[";
  if (ts.ip_protocol == 0) {
    out += "any";
  } else if (const char* name = protocol_name(ts.ip_protocol)) {
    out += name;
  } else {
    out += std::to_string(ts.ip_protocol);
  }
  if (is_opaque(ts)) {
    out += "/opaque";
  } else if (!all_ports(ts)) {
    out += "/" + std::to_string(ts.start_port);
    if (ts.end_port != ts.start_port) out += "-" + std::to_string(ts.end_port);
  }
  out += "]";
  return out;
}

std::optional<TrafficSelector> ts_intersect(const TrafficSelector& a, const TrafficSelector& b) {
  if (!well_formed(a) || !well_formed(b) || a.type != b.type) return std::nullopt;
  if (a.ip_protocol != 0 && b.ip_protocol != 0 && a.ip_protocol != b.ip_protocol) return std::nullopt;
  const std::optional<PortInterval> ports = intersect_ports(a, b);
  if (!ports) return std::nullopt;
  TrafficSelector out;
  out.type = a.type;
  out.ip_protocol = a.ip_protocol != 0 ? a.ip_protocol : b.ip_protocol;
  out.start_port = ports->start;
  out.end_port = ports->end;
  // Same family, so IpAddress ordering is numeric ordering.
  out.start = std::max(a.start, b.start);
  out.end = std::min(a.end, b.end);
  if (out.end < out.start) return std::nullopt;
  return out;
}

std::optional<NarrowedSelectors> narrow(const std::vector<TrafficSelector>& proposed_initiator,
                                        const std::vector<TrafficSelector>& proposed_responder,
                                        const std::vector<TrafficSelector>& allowed_initiator,
                                        const std::vector<TrafficSelector>& allowed_responder) {
  NarrowedSelectors out;
  out.initiator = narrow_side(proposed_initiator, allowed_initiator);
  out.responder = narrow_side(proposed_responder, allowed_responder);
  if (out.initiator.empty() || out.responder.empty()) return std::nullopt;
  return out;
}

bool selectors_within(const std::vector<TrafficSelector>& returned, const std::vector<TrafficSelector>& proposed) {
  // A responder that accepts answers with at least one selector (RFC 7296 §2.9).
  if (returned.empty()) return false;
  return std::all_of(returned.begin(), returned.end(), [&proposed](const TrafficSelector& r) {
    return std::any_of(proposed.begin(), proposed.end(), [&r](const TrafficSelector& p) { return contains(p, r); });
  });
}

std::vector<ipsec::Selector> to_ipsec_selectors(const std::vector<TrafficSelector>& local,
                                                const std::vector<TrafficSelector>& remote) {
  std::vector<ipsec::Selector> out;
  for (const TrafficSelector& l : local) {
    for (const TrafficSelector& r : remote) {
      if (!well_formed(l) || !well_formed(r) || l.type != r.type) continue;  // IPv4 with IPv6: no pair
      if (l.ip_protocol != 0 && r.ip_protocol != 0 && l.ip_protocol != r.ip_protocol) continue;
      ipsec::Selector selector;
      selector.local = ipsec::AddressRange{l.start, l.end};
      selector.remote = ipsec::AddressRange{r.start, r.end};
      selector.protocol = l.ip_protocol != 0 ? l.ip_protocol : r.ip_protocol;
      if (is_icmp(selector.protocol)) {
        if (!set_icmp_ports(l, r, selector)) continue;
      } else {
        selector.local_ports = port_range(l);
        selector.remote_ports = port_range(r);
      }
      if (std::find(out.begin(), out.end(), selector) == out.end()) out.push_back(selector);
    }
  }
  return out;
}

}  // namespace cygnet::ike
