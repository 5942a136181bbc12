// One traffic selector entry as strongSwan's swanctl.conf writes it: an address prefix with an
// optional "[protocol/port]" suffix: "198.51.100.0/24", "192.0.2.0/24[tcp]",
// "192.0.2.0/24[tcp/22]", "2001:db8::/32[udp/5000-5100]". The protocol is a name (tcp, udp, icmp,
// ipv6-icmp, sctp) or a number 0-255; a port (or range) only with tcp, udp or sctp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "ipsec/selector.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::config {

struct SelectorText {
  wire::IpPrefix prefix;
  std::uint8_t protocol = 0;  // 0 = any
  ipsec::PortRange ports;     // any unless given
};

// The parsed entry, or why it is not one (a sentence to follow "'KEY': \"TEXT\" ").
std::variant<SelectorText, std::string> parse_selector_text(std::string_view text);

}  // namespace cygnet::config
