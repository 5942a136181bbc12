// The attributes of the IKEv2 Configuration payload (RFC 7296 §3.15.1, RFC 8598 §4) as typed
// values. The CP payload codec (ikev2_payload_codec.cpp) frames the attributes; this file gives
// each one its meaning and checks its length: a request says what the client wants (an empty
// value, or 0.0.0.0 / ::, asks for any), a reply carries what the gateway assigns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire/ikev2_message.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::wire::ikev2 {

enum class ConfigAttributeType : std::uint16_t {
  InternalIp4Address = 1,
  InternalIp4Netmask = 2,
  InternalIp4Dns = 3,
  InternalIp4Nbns = 4,
  InternalIp4Dhcp = 6,
  ApplicationVersion = 7,
  InternalIp6Address = 8,
  InternalIp6Dns = 10,
  InternalIp6Dhcp = 12,
  InternalIp4Subnet = 13,
  SupportedAttributes = 14,
  InternalIp6Subnet = 15,
  InternalDnsDomain = 25,  // RFC 8598 §4.1
  InternalDnssecTa = 26,   // RFC 8598 §4.2
};

// One CP payload's attributes, decoded. In a CFG_REQUEST an attribute with an empty value asks
// for "any": it appears here as 0.0.0.0 (IPv4), ::/0 (IPv6), or sets the *_requested flag.
struct ConfigValues {
  std::vector<IpAddress> ip4_addresses;
  std::optional<IpAddress> ip4_netmask;
  std::vector<IpPrefix> ip6_addresses;  // the address and its prefix length (§3.15.1)
  std::vector<IpAddress> dns_servers;   // IPv4 and IPv6, in payload order
  bool ip4_dns_requested = false;
  bool ip6_dns_requested = false;
  std::vector<IpPrefix> subnets;  // INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET: split include
  std::vector<std::string> dns_domains;
  bool dns_domain_requested = false;
  std::size_t unknown_attributes = 0;  // skipped, as §3.15.1 allows
  friend bool operator==(const ConfigValues&, const ConfigValues&) = default;
};

struct ConfigDecodeResult {
  std::optional<ConfigValues> values;
  std::string error;  // when values is empty: which attribute is malformed and how
};

// Checks every known attribute's length and contents (netmasks contiguous, prefix lengths at most
// 128, domain names of letters, digits, '-' and '.'); unknown attributes are counted and skipped.
ConfigDecodeResult decode_config_attributes(const std::vector<ConfigAttribute>& attributes);

// The attributes for a CFG_REQUEST: one per wanted address family (0.0.0.0 → an empty
// INTERNAL_IP4_ADDRESS, :: → an empty INTERNAL_IP6_ADDRESS), then empty DNS and domain requests.
std::vector<ConfigAttribute> config_request_attributes(const std::vector<IpAddress>& wanted);

// The attributes for a CFG_REPLY carrying `values` (the *_requested flags are ignored).
std::vector<ConfigAttribute> config_reply_attributes(const ConfigValues& values);

// "INTERNAL_IP4_ADDRESS", ...; "UNKNOWN" otherwise.
const char* config_attribute_name(std::uint16_t type);

}  // namespace cygnet::wire::ikev2
