#include "config/selector_text.hpp"

#include <array>
#include <charconv>

namespace cygnet::config {

namespace {

struct ProtocolName {
  std::string_view name;
  std::uint8_t number;
};
constexpr std::array<ProtocolName, 6> kProtocols{
    {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"ipv6-icmp", 58}, {"icmpv6", 58}, {"sctp", 132}}};

bool has_ports(std::uint8_t protocol) {
  return protocol == 6 || protocol == 17 || protocol == 132;
}

template <typename Int>
bool parse_number(std::string_view text, Int& value) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::optional<std::uint8_t> parse_protocol(std::string_view text) {
  for (const ProtocolName& p : kProtocols) {
    if (p.name == text) return p.number;
  }
  unsigned number = 0;
  if (parse_number(text, number) && number <= 255) return static_cast<std::uint8_t>(number);
  return std::nullopt;
}

std::optional<ipsec::PortRange> parse_ports(std::string_view text) {
  const std::size_t dash = text.find('-');
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  if (dash == std::string_view::npos) {
    if (!parse_number(text, first)) return std::nullopt;
    last = first;
  } else if (!parse_number(text.substr(0, dash), first) || !parse_number(text.substr(dash + 1), last)) {
    return std::nullopt;
  }
  if (first > last) return std::nullopt;
  return ipsec::PortRange{first, last};
}

}  // namespace

std::variant<SelectorText, std::string> parse_selector_text(std::string_view text) {
  std::string_view prefix_text = text;
  std::string_view suffix;
  if (const std::size_t open = text.find('['); open != std::string_view::npos) {
    if (text.back() != ']') return std::string("has a '[' without a closing ']' at the end");
    prefix_text = text.substr(0, open);
    suffix = text.substr(open + 1, text.size() - open - 2);
    if (suffix.empty()) return std::string("has an empty \"[]\"");
  }
  const std::optional<wire::IpPrefix> prefix = wire::IpPrefix::parse(prefix_text);
  if (!prefix)
    return std::string("is not an address prefix such as \"198.51.100.0/24\" or \"192.0.2.0/24[tcp/22]\"");
  // IpPrefix::parse clears host bits; "198.51.100.7/24" is far more often a typo than a network.
  if (const std::size_t slash = prefix_text.find('/'); slash != std::string_view::npos) {
    const auto address = wire::IpAddress::parse(prefix_text.substr(0, slash));
    if (address && *address != prefix->address) {
      return "has host bits set (the network is " + prefix->to_string() + ")";
    }
  }
  SelectorText parsed{*prefix, 0, {}};
  if (suffix.empty()) return parsed;
  const std::size_t slash = suffix.find('/');
  const std::string_view protocol_text = suffix.substr(0, slash);
  const auto protocol = parse_protocol(protocol_text);
  if (!protocol) {
    return "names protocol \"" + std::string(protocol_text) +
           "\": use tcp, udp, icmp, ipv6-icmp, sctp or a number from 0 to 255";
  }
  parsed.protocol = *protocol;
  if (slash == std::string_view::npos) return parsed;
  const std::string_view port_text = suffix.substr(slash + 1);
  if (!has_ports(*protocol)) {
    return "gives a port, but only tcp, udp and sctp have ports (\"" + std::string(protocol_text) + "\")";
  }
  const auto ports = parse_ports(port_text);
  if (!ports) {
    return "has port \"" + std::string(port_text) +
           "\": use a port from 0 to 65535 or a range such as 5000-5100 (low first)";
  }
  parsed.ports = *ports;
  return parsed;
}

}  // namespace cygnet::config
