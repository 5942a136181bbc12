// Traffic selectors (RFC 4301 §4.4.1.1): which packets a policy or an SA covers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::ipsec {

// An inclusive address range; a prefix is the special case IKEv2 traffic selectors generalise.
struct AddressRange {
  wire::IpAddress first;
  wire::IpAddress last;

  static AddressRange from_prefix(const wire::IpPrefix& prefix);
  static AddressRange any(wire::IpFamily family);
  bool contains(const wire::IpAddress& a) const;  // false across families
  // The prefix length when the range is exactly one prefix (first = network, last = broadcast of
  // the same family), else nullopt: ranges such as 192.0.2.5-192.0.2.9 are not prefixes.
  std::optional<std::size_t> prefix_length() const;
  wire::IpFamily family() const { return first.family(); }
  std::string to_string() const;  // "198.51.100.0/24" when it is a prefix, else "a-b"
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 65535;
  bool contains(std::uint16_t p) const { return p >= first && p <= last; }
  bool is_any() const { return first == 0 && last == 65535; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

// Selector seen from this host: "local" is our side (source of outbound packets, destination of
// inbound ones), "remote" the peer's side.
struct Selector {
  AddressRange local;
  AddressRange remote;
  std::uint8_t protocol = 0;  // 0 = any
  PortRange local_ports;
  PortRange remote_ports;

  // A packet we are about to send: source in local, destination in remote.
  bool matches_outbound(const wire::IpPacketInfo& packet) const;
  // A packet we received (after decapsulation): source in remote, destination in local.
  bool matches_inbound(const wire::IpPacketInfo& packet) const;
  std::string to_string() const;
  friend bool operator==(const Selector&, const Selector&) = default;
};

}  // namespace cygnet::ipsec
