// Path MTU toward each peer, and what it leaves for the packets inside the tunnel.
//
// The outer path MTU starts as the MTU of the route toward the peer (the daemon asks the kernel
// when an SA is installed: a gateway whose own link is small knows it without any ICMP) and is
// lowered by ICMP Fragmentation Needed / Packet Too Big that quote one of our outbound SAs
// (DataPlane::on_icmp_too_big checks that). Learned values are unauthenticated (RFC 4301 §8.2),
// so they never go below the IPv4 576 / IPv6 1280 floors (RFC 1191, RFC 8201), never raise the
// value, and age out after ten minutes like the kernel's PMTU cache, so the path can grow back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "base/time.hpp"
#include "ipsec/security_association.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::ipsec {

inline constexpr std::uint32_t kIpv4MinimumPathMtu = 576;   // RFC 1191 §3 / RFC 791
inline constexpr std::uint32_t kIpv6MinimumPathMtu = 1280;  // RFC 8200 §5 / RFC 8201
inline constexpr Seconds kLearnedPathMtuLifetime{600};      // Linux net.ipv4.route.mtu_expires

class PathMtuTable {
 public:
  // The route's MTU toward `peer` (0 forgets it: no limit known).
  void set_link_mtu(const wire::IpAddress& peer, std::uint32_t mtu);
  // A reported MTU for `peer` (already checked to concern one of our SAs). Clamped to the floor of
  // the family; ignored unless below the current value. Returns whether the path MTU went down.
  bool learn(const wire::IpAddress& peer, std::uint32_t reported_mtu, TimePoint now);
  // The path MTU toward `peer` now: the learned value while it is fresh, else the link MTU;
  // nullopt when neither is known (then nothing is checked, as before path MTU existed).
  std::optional<std::uint32_t> current(const wire::IpAddress& peer, TimePoint now) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::uint32_t link_mtu = 0;
    std::uint32_t learned_mtu = 0;  // 0: none
    TimePoint learned_at{};
  };
  std::map<wire::IpAddress, Entry> entries_;
};

inline std::uint32_t minimum_path_mtu(wire::IpFamily family) {
  return family == wire::IpFamily::V4 ? kIpv4MinimumPathMtu : kIpv6MinimumPathMtu;
}

// The size an inner packet becomes once the SA protects it (ESP or AH, any mode, UDP or not).
std::size_t encapsulated_length(const SecurityAssociation& sa, const wire::IpPacketInfo& inner);

// The largest inner packet of `inner_family` that still fits `path_mtu` once protected by `sa`
// (its transforms, mode, UDP encapsulation and outer family; transport mode assumes an inner
// header without options or extension headers). 0 when nothing fits.
std::size_t inner_mtu(const SecurityAssociation& sa, std::size_t path_mtu, wire::IpFamily inner_family);

}  // namespace cygnet::ipsec
