// Lengths per RFC 7296 §3.15.1 (table "Attribute Type / Multi-Valued / Length") and RFC 8598 §4.
#include "wire/ikev2_config_attributes.hpp"

#include <algorithm>
#include <string>

namespace cygnet::wire::ikev2 {

namespace {

using Type = ConfigAttributeType;

constexpr std::size_t kIp4Length = 4;
constexpr std::size_t kIp6Length = 16;
constexpr std::size_t kIp6WithPrefixLength = 17;  // address, then prefix length in one byte
constexpr std::size_t kIp4SubnetLength = 8;       // address, then netmask
constexpr std::size_t kMaxDomainLength = 253;     // RFC 1035 presentation form without the root dot

std::string length_error(std::uint16_t type, std::size_t got, const std::string& expected) {
  return std::string(config_attribute_name(type)) + " length " + std::to_string(got) + " (expected " +
         expected + ")";
}

// A netmask whose one bits are contiguous from the top: its prefix length, else nullopt.
std::optional<std::uint8_t> netmask_length(ByteView mask) {
  std::uint8_t length = 0;
  bool zero_seen = false;
  for (std::uint8_t byte : mask)
    for (int bit = 7; bit >= 0; --bit) {
      const bool one = (byte >> bit) & 1;
      if (one && zero_seen) return std::nullopt;
      if (one)
        ++length;
      else
        zero_seen = true;
    }
  return length;
}

// RFC 8598 §4.1: the domain in presentation format, no trailing dot needed. We accept host-name
// characters only (letters, digits, '-', '_' as some deployments use it, and '.' separators).
bool valid_domain(ByteView value) {
  if (value.empty() || value.size() > kMaxDomainLength) return false;
  char previous = '.';
  for (std::uint8_t c : value) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-' && c != '_' && c != '.') return false;
    if (c == '.' && previous == '.') return false;  // empty label
    previous = static_cast<char>(c);
  }
  return true;
}

IpPrefix prefix_with_host_bits_cleared(IpAddress address, std::uint8_t length) {
  auto p = IpPrefix::parse(address.to_string() + "/" + std::to_string(length));
  return p ? *p : IpPrefix{address, length};
}

ConfigAttribute attribute(Type type, Bytes value = {}) {
  return ConfigAttribute{static_cast<std::uint16_t>(type), std::move(value)};
}

Bytes bytes_of(const IpAddress& a) {
  return Bytes(a.bytes().begin(), a.bytes().end());
}

Bytes netmask_bytes(std::uint8_t length, std::size_t size) {
  Bytes mask(size, 0);
  for (std::size_t i = 0; i < length && i < size * 8; ++i)
    mask[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
  return mask;
}

}  // namespace

const char* config_attribute_name(std::uint16_t type) {
  switch (static_cast<Type>(type)) {
    case Type::InternalIp4Address: return "INTERNAL_IP4_ADDRESS";
    case Type::InternalIp4Netmask: return "INTERNAL_IP4_NETMASK";
    case Type::InternalIp4Dns: return "INTERNAL_IP4_DNS";
    case Type::InternalIp4Nbns: return "INTERNAL_IP4_NBNS";
    case Type::InternalIp4Dhcp: return "INTERNAL_IP4_DHCP";
    case Type::ApplicationVersion: return "APPLICATION_VERSION";
    case Type::InternalIp6Address: return "INTERNAL_IP6_ADDRESS";
    case Type::InternalIp6Dns: return "INTERNAL_IP6_DNS";
    case Type::InternalIp6Dhcp: return "INTERNAL_IP6_DHCP";
    case Type::InternalIp4Subnet: return "INTERNAL_IP4_SUBNET";
    case Type::SupportedAttributes: return "SUPPORTED_ATTRIBUTES";
    case Type::InternalIp6Subnet: return "INTERNAL_IP6_SUBNET";
    case Type::InternalDnsDomain: return "INTERNAL_DNS_DOMAIN";
    case Type::InternalDnssecTa: return "INTERNAL_DNSSEC_TA";
  }
  return "UNKNOWN";
}

ConfigDecodeResult decode_config_attributes(const std::vector<ConfigAttribute>& attributes) {
  ConfigValues v;
  auto fail = [](std::string why) { return ConfigDecodeResult{std::nullopt, std::move(why)}; };
  for (const ConfigAttribute& a : attributes) {
    const ByteView value(a.value.data(), a.value.size());
    const std::size_t n = value.size();
    switch (static_cast<Type>(a.type)) {
      case Type::InternalIp4Address:
        if (n != 0 && n != kIp4Length) return fail(length_error(a.type, n, "0 or 4"));
        v.ip4_addresses.push_back(n == 0 ? IpAddress() : IpAddress::v4(value));
        break;
      case Type::InternalIp4Netmask:
        if (n == 0) break;  // a request for the netmask: the reply sends it with the address
        if (n != kIp4Length) return fail(length_error(a.type, n, "0 or 4"));
        if (!netmask_length(value)) return fail("INTERNAL_IP4_NETMASK is not contiguous");
        v.ip4_netmask = IpAddress::v4(value);
        break;
      case Type::InternalIp4Dns:
        if (n == 0) {
          v.ip4_dns_requested = true;
          break;
        }
        if (n != kIp4Length) return fail(length_error(a.type, n, "0 or 4"));
        v.dns_servers.push_back(IpAddress::v4(value));
        break;
      case Type::InternalIp6Address: {
        if (n == 0) {
          v.ip6_addresses.push_back(IpPrefix{*IpAddress::parse("::"), 0});
          break;
        }
        if (n != kIp6WithPrefixLength) return fail(length_error(a.type, n, "0 or 17"));
        const std::uint8_t length = value[kIp6Length];
        if (length > 128)
          return fail("INTERNAL_IP6_ADDRESS prefix length " + std::to_string(length) + " > 128");
        v.ip6_addresses.push_back(IpPrefix{IpAddress::v6(value.first(kIp6Length)), length});
        break;
      }
      case Type::InternalIp6Dns:
        if (n == 0) {
          v.ip6_dns_requested = true;
          break;
        }
        if (n != kIp6Length) return fail(length_error(a.type, n, "0 or 16"));
        v.dns_servers.push_back(IpAddress::v6(value));
        break;
      case Type::InternalIp4Subnet: {
        if (n == 0) break;  // a request: the reply lists them
        if (n != kIp4SubnetLength) return fail(length_error(a.type, n, "0 or 8"));
        const auto length = netmask_length(value.subspan(kIp4Length));
        if (!length) return fail("INTERNAL_IP4_SUBNET netmask is not contiguous");
        v.subnets.push_back(prefix_with_host_bits_cleared(IpAddress::v4(value.first(kIp4Length)), *length));
        break;
      }
      case Type::InternalIp6Subnet: {
        if (n == 0) break;
        if (n != kIp6WithPrefixLength) return fail(length_error(a.type, n, "0 or 17"));
        const std::uint8_t length = value[kIp6Length];
        if (length > 128)
          return fail("INTERNAL_IP6_SUBNET prefix length " + std::to_string(length) + " > 128");
        v.subnets.push_back(prefix_with_host_bits_cleared(IpAddress::v6(value.first(kIp6Length)), length));
        break;
      }
      case Type::InternalDnsDomain:
        if (n == 0) {
          v.dns_domain_requested = true;
          break;
        }
        if (!valid_domain(value)) return fail("INTERNAL_DNS_DOMAIN is not a domain name");
        v.dns_domains.emplace_back(value.begin(), value.end());
        break;
      case Type::InternalIp4Nbns:
      case Type::InternalIp4Dhcp:
      case Type::InternalIp6Dhcp:
        // Known, fixed-length, and of no use to us: checked so that garbage is still refused.
        if (n != 0 &&
            n != (a.type == static_cast<std::uint16_t>(Type::InternalIp6Dhcp) ? kIp6Length : kIp4Length))
          return fail(length_error(
              a.type, n, a.type == static_cast<std::uint16_t>(Type::InternalIp6Dhcp) ? "0 or 16" : "0 or 4"));
        break;
      case Type::SupportedAttributes:
        if (n % 2 != 0) return fail(length_error(a.type, n, "a multiple of 2"));
        break;
      case Type::ApplicationVersion:
      case Type::InternalDnssecTa: break;
      default: ++v.unknown_attributes; break;
    }
  }
  return ConfigDecodeResult{std::move(v), {}};
}

std::vector<ConfigAttribute> config_request_attributes(const std::vector<IpAddress>& wanted) {
  std::vector<ConfigAttribute> out;
  bool v4 = false;
  bool v6 = false;
  // An unspecified address asks for any (empty value); a specific one asks for that address.
  for (const IpAddress& a : wanted) {
    const bool any = std::all_of(a.bytes().begin(), a.bytes().end(), [](std::uint8_t b) { return b == 0; });
    if (a.is_v4() && !v4) {
      out.push_back(attribute(Type::InternalIp4Address, any ? Bytes{} : bytes_of(a)));
      v4 = true;
    } else if (!a.is_v4() && !v6) {
      Bytes value;
      if (!any) {
        value = bytes_of(a);
        value.push_back(128);
      }
      out.push_back(attribute(Type::InternalIp6Address, std::move(value)));
      v6 = true;
    }
  }
  if (v4) out.push_back(attribute(Type::InternalIp4Dns));
  if (v6) out.push_back(attribute(Type::InternalIp6Dns));
  out.push_back(attribute(Type::InternalDnsDomain));
  return out;
}

std::vector<ConfigAttribute> config_reply_attributes(const ConfigValues& v) {
  std::vector<ConfigAttribute> out;
  for (const IpAddress& a : v.ip4_addresses) out.push_back(attribute(Type::InternalIp4Address, bytes_of(a)));
  if (v.ip4_netmask) out.push_back(attribute(Type::InternalIp4Netmask, bytes_of(*v.ip4_netmask)));
  for (const IpPrefix& p : v.ip6_addresses) {
    Bytes value = bytes_of(p.address);
    value.push_back(p.length);
    out.push_back(attribute(Type::InternalIp6Address, std::move(value)));
  }
  for (const IpAddress& a : v.dns_servers)
    out.push_back(attribute(a.is_v4() ? Type::InternalIp4Dns : Type::InternalIp6Dns, bytes_of(a)));
  for (const IpPrefix& p : v.subnets) {
    Bytes value = bytes_of(p.address);
    if (p.address.is_v4()) {
      const Bytes mask = netmask_bytes(p.length, kIp4Length);
      value.insert(value.end(), mask.begin(), mask.end());
      out.push_back(attribute(Type::InternalIp4Subnet, std::move(value)));
    } else {
      value.push_back(p.length);
      out.push_back(attribute(Type::InternalIp6Subnet, std::move(value)));
    }
  }
  for (const std::string& d : v.dns_domains)
    out.push_back(attribute(Type::InternalDnsDomain, Bytes(d.begin(), d.end())));
  return out;
}

}  // namespace cygnet::wire::ikev2
