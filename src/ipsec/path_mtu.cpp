#include "ipsec/path_mtu.hpp"

#include <algorithm>

#include "ipsec/ah.hpp"
#include "ipsec/esp.hpp"

namespace cygnet::ipsec {

void PathMtuTable::set_link_mtu(const wire::IpAddress& peer, std::uint32_t mtu) {
  if (mtu == 0) {
    entries_.erase(peer);
    return;
  }
  // Even a link MTU is held to the floor: an IPv6 link is never below 1280 (RFC 8200 §5).
  entries_[peer].link_mtu = std::max(mtu, minimum_path_mtu(peer.family()));
}

bool PathMtuTable::learn(const wire::IpAddress& peer, std::uint32_t reported_mtu, TimePoint now) {
  const std::uint32_t mtu = std::max(reported_mtu, minimum_path_mtu(peer.family()));
  const std::optional<std::uint32_t> before = current(peer, now);
  if (before && mtu >= *before) return false;
  Entry& e = entries_[peer];
  e.learned_mtu = mtu;
  e.learned_at = now;
  return true;
}

std::optional<std::uint32_t> PathMtuTable::current(const wire::IpAddress& peer, TimePoint now) const {
  auto it = entries_.find(peer);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  const bool learned_fresh = e.learned_mtu != 0 && now - e.learned_at < kLearnedPathMtuLifetime;
  if (learned_fresh && (e.link_mtu == 0 || e.learned_mtu < e.link_mtu)) return e.learned_mtu;
  if (e.link_mtu != 0) return e.link_mtu;
  return std::nullopt;
}

std::size_t encapsulated_length(const SecurityAssociation& sa, const wire::IpPacketInfo& inner) {
  return sa.protocol() == IpsecProtocol::Esp ? esp_encapsulated_length(sa, inner)
                                             : ah_encapsulated_length(sa, inner);
}

std::size_t inner_mtu(const SecurityAssociation& sa, std::size_t path_mtu, wire::IpFamily inner_family) {
  wire::IpPacketInfo probe;
  probe.family = inner_family;
  probe.header_length =
      inner_family == wire::IpFamily::V4 ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength;
  auto fits = [&](std::size_t length) {
    probe.total_length = length;
    return encapsulated_length(sa, probe) <= path_mtu;
  };
  // The overhead varies with the length only through the padding (at most one cipher block), so
  // start from the overhead of a path-sized packet and walk the few bytes that padding moves.
  probe.total_length = std::max(path_mtu, probe.header_length);
  const std::size_t overhead = encapsulated_length(sa, probe) - probe.total_length;
  if (overhead >= path_mtu || path_mtu - overhead < probe.header_length) return 0;
  std::size_t length = path_mtu - overhead;
  while (fits(length + 1)) ++length;
  while (length > probe.header_length && !fits(length)) --length;
  return fits(length) ? length : 0;
}

}  // namespace cygnet::ipsec
