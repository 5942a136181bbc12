// The Configuration payload's attributes (RFC 7296 §3.15.1, RFC 8598 §4): requests, replies, and
// every malformed length refused with the attribute named.
#include "wire/ikev2_config_attributes.hpp"

#include <gtest/gtest.h>

#include "wire/ikev2_message.hpp"

namespace cygnet::wire::ikev2 {
namespace {

IpAddress ip(std::string_view s) {
  return *IpAddress::parse(s);
}
IpPrefix net(std::string_view s) {
  return *IpPrefix::parse(s);
}

ConfigAttribute attr(ConfigAttributeType t, Bytes value = {}) {
  return ConfigAttribute{static_cast<std::uint16_t>(t), std::move(value)};
}

TEST(ConfigAttributes, RequestForAnyAddressOfBothFamilies) {
  const auto attributes = config_request_attributes({ip("0.0.0.0"), ip("::")});
  ASSERT_EQ(attributes.size(), 5u);
  EXPECT_EQ(attributes[0], attr(ConfigAttributeType::InternalIp4Address));
  EXPECT_EQ(attributes[1], attr(ConfigAttributeType::InternalIp6Address));
  const auto decoded = decode_config_attributes(attributes);
  ASSERT_TRUE(decoded.values) << decoded.error;
  EXPECT_EQ(decoded.values->ip4_addresses, std::vector<IpAddress>{ip("0.0.0.0")});
  ASSERT_EQ(decoded.values->ip6_addresses.size(), 1u);
  EXPECT_EQ(decoded.values->ip6_addresses[0].length, 0);
  EXPECT_TRUE(decoded.values->ip4_dns_requested);
  EXPECT_TRUE(decoded.values->ip6_dns_requested);
  EXPECT_TRUE(decoded.values->dns_domain_requested);
}

TEST(ConfigAttributes, RequestForASpecificAddressCarriesIt) {
  const auto attributes = config_request_attributes({ip("192.0.2.77"), ip("2001:db8::7")});
  const auto decoded = decode_config_attributes(attributes);
  ASSERT_TRUE(decoded.values) << decoded.error;
  EXPECT_EQ(decoded.values->ip4_addresses, std::vector<IpAddress>{ip("192.0.2.77")});
  EXPECT_EQ(decoded.values->ip6_addresses, std::vector<IpPrefix>{net("2001:db8::7/128")});
}

TEST(ConfigAttributes, ReplyRoundTripsThroughTheCpPayloadCodec) {
  ConfigValues v;
  v.ip4_addresses = {ip("198.51.100.129")};
  v.ip6_addresses = {net("2001:db8:ffff::1/128")};
  v.dns_servers = {ip("198.51.100.53"), ip("2001:db8::53")};
  v.subnets = {net("203.0.113.0/24"), net("2001:db8:1::/48")};
  v.dns_domains = {"corp.example", "lab.example.org"};
  Message m;
  m.header.exchange = ExchangeType::IkeAuth;
  m.payloads.emplace_back(ConfigPayload{ConfigType::Reply, config_reply_attributes(v)});
  const auto parsed = parse_message(serialize_message(m));
  ASSERT_TRUE(parsed) << parsed.failure.detail;
  const auto* cp = find_payload<ConfigPayload>(parsed.value->payloads);
  ASSERT_NE(cp, nullptr);
  EXPECT_EQ(cp->type, ConfigType::Reply);
  const auto decoded = decode_config_attributes(cp->attributes);
  ASSERT_TRUE(decoded.values) << decoded.error;
  EXPECT_EQ(*decoded.values, v);
}

TEST(ConfigAttributes, SubnetNetmaskOnTheWire) {
  ConfigValues v;
  v.subnets = {net("203.0.113.0/25")};
  const auto attributes = config_reply_attributes(v);
  ASSERT_EQ(attributes.size(), 1u);
  EXPECT_EQ(attributes[0].value, (Bytes{203, 0, 113, 0, 255, 255, 255, 128}));
}

struct Malformed {
  ConfigAttributeType type;
  Bytes value;
  const char* says;
};

class MalformedAttribute : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedAttribute, IsRefusedNamingTheAttribute) {
  const auto& m = GetParam();
  const auto decoded =
      decode_config_attributes({attr(ConfigAttributeType::InternalIp4Address), attr(m.type, m.value)});
  EXPECT_FALSE(decoded.values);
  EXPECT_NE(decoded.error.find(m.says), std::string::npos) << decoded.error;
}

INSTANTIATE_TEST_SUITE_P(
    Lengths, MalformedAttribute,
    ::testing::Values(
        Malformed{ConfigAttributeType::InternalIp4Address, Bytes(3, 1), "INTERNAL_IP4_ADDRESS length 3"},
        Malformed{ConfigAttributeType::InternalIp4Address, Bytes(5, 1), "INTERNAL_IP4_ADDRESS length 5"},
        Malformed{ConfigAttributeType::InternalIp6Address, Bytes(16, 1), "INTERNAL_IP6_ADDRESS length 16"},
        Malformed{ConfigAttributeType::InternalIp6Address, Bytes(17, 200), "prefix length 200"},
        Malformed{ConfigAttributeType::InternalIp4Dns, Bytes(6, 1), "INTERNAL_IP4_DNS length 6"},
        Malformed{ConfigAttributeType::InternalIp6Dns, Bytes(4, 1), "INTERNAL_IP6_DNS length 4"},
        Malformed{ConfigAttributeType::InternalIp4Netmask, Bytes{255, 0, 255, 0}, "not contiguous"},
        Malformed{ConfigAttributeType::InternalIp4Subnet, Bytes{203, 0, 113, 0, 0, 255, 255, 255},
                  "not contiguous"},
        Malformed{ConfigAttributeType::InternalIp4Subnet, Bytes(7, 1), "INTERNAL_IP4_SUBNET length 7"},
        Malformed{ConfigAttributeType::InternalIp6Subnet, Bytes(18, 1), "INTERNAL_IP6_SUBNET length 18"},
        Malformed{ConfigAttributeType::InternalDnsDomain, Bytes{'a', '.', '.', 'b'}, "INTERNAL_DNS_DOMAIN"},
        Malformed{ConfigAttributeType::InternalDnsDomain, Bytes{'a', ' ', 'b'}, "INTERNAL_DNS_DOMAIN"},
        Malformed{ConfigAttributeType::InternalDnsDomain, Bytes(254, 'a'), "INTERNAL_DNS_DOMAIN"},
        Malformed{ConfigAttributeType::SupportedAttributes, Bytes(3, 0), "SUPPORTED_ATTRIBUTES"},
        Malformed{ConfigAttributeType::InternalIp4Nbns, Bytes(2, 0), "INTERNAL_IP4_NBNS"}));

TEST(ConfigAttributes, UnknownAttributesAreCountedAndSkipped) {
  const auto decoded = decode_config_attributes(
      {ConfigAttribute{0x4000, Bytes(9, 7)}, attr(ConfigAttributeType::InternalIp4Address, {192, 0, 2, 5})});
  ASSERT_TRUE(decoded.values) << decoded.error;
  EXPECT_EQ(decoded.values->unknown_attributes, 1u);
  EXPECT_EQ(decoded.values->ip4_addresses, std::vector<IpAddress>{ip("192.0.2.5")});
}

TEST(ConfigAttributes, SubnetHostBitsAreCleared) {
  const auto decoded = decode_config_attributes(
      {attr(ConfigAttributeType::InternalIp4Subnet, {203, 0, 113, 77, 255, 255, 255, 0})});
  ASSERT_TRUE(decoded.values) << decoded.error;
  EXPECT_EQ(decoded.values->subnets, std::vector<IpPrefix>{net("203.0.113.0/24")});
}

}  // namespace
}  // namespace cygnet::wire::ikev2
