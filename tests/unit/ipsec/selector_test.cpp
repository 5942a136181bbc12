// Traffic selectors: address ranges, protocol and port matching in both directions.
#include "ipsec/selector.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cygnet::ipsec {
namespace {

using wire::IpAddress;
using wire::IpFamily;
using wire::IpPacketInfo;
using wire::IpPrefix;
namespace ip_protocol = wire::ip_protocol;

IpAddress addr(const std::string& text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

AddressRange prefix(const std::string& text) {
  auto p = IpPrefix::parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return AddressRange::from_prefix(p.value_or(IpPrefix{}));
}

AddressRange range(const std::string& first, const std::string& last) {
  return AddressRange{addr(first), addr(last)};
}

IpPacketInfo packet(const std::string& source, const std::string& destination,
                    std::uint8_t protocol = ip_protocol::kUdp, std::uint16_t source_port = 0,
                    std::uint16_t destination_port = 0) {
  IpPacketInfo p;
  p.source = addr(source);
  p.destination = addr(destination);
  p.family = p.source.family();
  p.protocol = protocol;
  p.source_port = source_port;
  p.destination_port = destination_port;
  return p;
}

// ---------------------------------------------------------------- AddressRange

TEST(AddressRange, FromPrefixV4) {
  const AddressRange r = prefix("192.0.2.0/24");
  EXPECT_EQ(r.first, addr("192.0.2.0"));
  EXPECT_EQ(r.last, addr("192.0.2.255"));
  EXPECT_EQ(r.family(), IpFamily::V4);

  const AddressRange odd = prefix("198.51.100.64/27");
  EXPECT_EQ(odd.first, addr("198.51.100.64"));
  EXPECT_EQ(odd.last, addr("198.51.100.95"));

  const AddressRange host = prefix("203.0.113.7/32");
  EXPECT_EQ(host.first, addr("203.0.113.7"));
  EXPECT_EQ(host.last, addr("203.0.113.7"));

  const AddressRange all = prefix("0.0.0.0/0");
  EXPECT_EQ(all.first, addr("0.0.0.0"));
  EXPECT_EQ(all.last, addr("255.255.255.255"));
  EXPECT_EQ(all, AddressRange::any(IpFamily::V4));

  const AddressRange wide = prefix("198.51.100.0/22");  // crosses byte boundaries
  EXPECT_EQ(wide.first, addr("198.51.100.0"));
  EXPECT_EQ(wide.last, addr("198.51.103.255"));
}

TEST(AddressRange, FromPrefixMasksHostBits) {
  // An IpPrefix built by hand may carry host bits; the range still starts at the network address.
  IpPrefix p{addr("192.0.2.77"), 25};
  const AddressRange r = AddressRange::from_prefix(p);
  EXPECT_EQ(r.first, addr("192.0.2.0"));
  EXPECT_EQ(r.last, addr("192.0.2.127"));
  // A length beyond the family's bits is treated as a host prefix.
  const AddressRange over = AddressRange::from_prefix(IpPrefix{addr("192.0.2.9"), 40});
  EXPECT_EQ(over.first, addr("192.0.2.9"));
  EXPECT_EQ(over.last, addr("192.0.2.9"));
}

TEST(AddressRange, FromPrefixV6) {
  const AddressRange r = prefix("2001:db8::/32");
  EXPECT_EQ(r.first, addr("2001:db8::"));
  EXPECT_EQ(r.last, addr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(r.family(), IpFamily::V6);

  const AddressRange odd = prefix("2001:db8:0:8::/61");
  EXPECT_EQ(odd.first, addr("2001:db8:0:8::"));
  EXPECT_EQ(odd.last, addr("2001:db8:0:f:ffff:ffff:ffff:ffff"));

  const AddressRange pair = prefix("2001:db8::a/127");
  EXPECT_EQ(pair.first, addr("2001:db8::a"));
  EXPECT_EQ(pair.last, addr("2001:db8::b"));

  EXPECT_EQ(prefix("::/0"), AddressRange::any(IpFamily::V6));
  EXPECT_EQ(AddressRange::any(IpFamily::V6).last, addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

TEST(AddressRange, ContainsV4) {
  const AddressRange r = prefix("198.51.100.0/24");
  EXPECT_TRUE(r.contains(addr("198.51.100.0")));
  EXPECT_TRUE(r.contains(addr("198.51.100.1")));
  EXPECT_TRUE(r.contains(addr("198.51.100.255")));
  EXPECT_FALSE(r.contains(addr("198.51.99.255")));
  EXPECT_FALSE(r.contains(addr("198.51.101.0")));
  EXPECT_FALSE(r.contains(addr("192.0.2.1")));
  // Byte order matters: a range across an octet boundary compares numerically.
  const AddressRange across = range("192.0.2.250", "192.0.3.5");
  EXPECT_TRUE(across.contains(addr("192.0.2.255")));
  EXPECT_TRUE(across.contains(addr("192.0.3.0")));
  EXPECT_TRUE(across.contains(addr("192.0.3.5")));
  EXPECT_FALSE(across.contains(addr("192.0.3.6")));
  EXPECT_FALSE(across.contains(addr("192.0.2.249")));
}

TEST(AddressRange, ContainsV6) {
  const AddressRange r = prefix("2001:db8:1::/48");
  EXPECT_TRUE(r.contains(addr("2001:db8:1::")));
  EXPECT_TRUE(r.contains(addr("2001:db8:1:ffff::1")));
  EXPECT_TRUE(r.contains(addr("2001:db8:1:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(r.contains(addr("2001:db8:2::")));
  EXPECT_FALSE(r.contains(addr("2001:db8:0:ffff:ffff:ffff:ffff:ffff")));
  const AddressRange small = range("2001:db8::10", "2001:db8::1f");
  EXPECT_TRUE(small.contains(addr("2001:db8::10")));
  EXPECT_TRUE(small.contains(addr("2001:db8::1f")));
  EXPECT_FALSE(small.contains(addr("2001:db8::20")));
  EXPECT_FALSE(small.contains(addr("2001:db8::f")));
}

TEST(AddressRange, NeverContainsAcrossFamilies) {
  EXPECT_FALSE(AddressRange::any(IpFamily::V4).contains(addr("2001:db8::1")));
  EXPECT_FALSE(AddressRange::any(IpFamily::V6).contains(addr("192.0.2.1")));
  // Even where the leading bytes agree (v4 uses the first 4 of the same storage).
  EXPECT_FALSE(prefix("192.0.2.0/24").contains(addr("c000:200::")));
  EXPECT_FALSE(prefix("::/0").contains(addr("0.0.0.0")));
}

TEST(AddressRange, EmptyWhenReversed) {
  const AddressRange r = range("192.0.2.20", "192.0.2.10");
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(r.contains(addr("192.0.2." + std::to_string(i))));
}

TEST(AddressRange, ToString) {
  EXPECT_EQ(prefix("198.51.100.0/24").to_string(), "198.51.100.0/24");
  EXPECT_EQ(prefix("198.51.100.64/27").to_string(), "198.51.100.64/27");
  EXPECT_EQ(prefix("203.0.113.7/32").to_string(), "203.0.113.7/32");
  EXPECT_EQ(AddressRange::any(IpFamily::V4).to_string(), "0.0.0.0/0");
  EXPECT_EQ(prefix("2001:db8::/32").to_string(), "2001:db8::/32");
  EXPECT_EQ(prefix("2001:db8::a/127").to_string(), "2001:db8::a/127");
  EXPECT_EQ(AddressRange::any(IpFamily::V6).to_string(), "::/0");
  EXPECT_EQ(range("192.0.2.10", "192.0.2.20").to_string(), "192.0.2.10-192.0.2.20");
  // Aligned start but short end, and the reverse: not prefixes.
  EXPECT_EQ(range("192.0.2.0", "192.0.2.254").to_string(), "192.0.2.0-192.0.2.254");
  EXPECT_EQ(range("192.0.2.1", "192.0.2.255").to_string(), "192.0.2.1-192.0.2.255");
  // Right size, wrong alignment.
  EXPECT_EQ(range("192.0.2.128", "192.0.3.127").to_string(), "192.0.2.128-192.0.3.127");
  EXPECT_EQ(range("2001:db8::1", "2001:db8::5").to_string(), "2001:db8::1-2001:db8::5");
  EXPECT_EQ(range("192.0.2.20", "192.0.2.10").to_string(), "192.0.2.20-192.0.2.10");
}

TEST(AddressRange, PrefixLength) {
  EXPECT_EQ(prefix("198.51.100.0/24").prefix_length(), 24u);
  EXPECT_EQ(prefix("203.0.113.7/32").prefix_length(), 32u);
  EXPECT_EQ(AddressRange::any(IpFamily::V4).prefix_length(), 0u);
  EXPECT_EQ(AddressRange::any(IpFamily::V6).prefix_length(), 0u);
  EXPECT_EQ(prefix("2001:db8::a/127").prefix_length(), 127u);
  EXPECT_EQ(prefix("2001:db8::/128").prefix_length(), 128u);
  EXPECT_EQ(range("192.0.2.10", "192.0.2.20").prefix_length(), std::nullopt);
  EXPECT_EQ(range("192.0.2.0", "192.0.2.254").prefix_length(), std::nullopt);
  EXPECT_EQ(range("192.0.2.128", "192.0.3.127").prefix_length(), std::nullopt);
  EXPECT_EQ(range("192.0.2.20", "192.0.2.10").prefix_length(), std::nullopt);     // empty
  EXPECT_EQ(range("192.0.2.0", "2001:db8::ffff").prefix_length(), std::nullopt);  // mixed families
}

// ---------------------------------------------------------------- PortRange

TEST(PortRange, AnyAndContains) {
  PortRange any;
  EXPECT_TRUE(any.is_any());
  EXPECT_TRUE(any.contains(0));
  EXPECT_TRUE(any.contains(65535));
  PortRange web{80, 80};
  EXPECT_FALSE(web.is_any());
  EXPECT_TRUE(web.contains(80));
  EXPECT_FALSE(web.contains(81));
  EXPECT_FALSE(web.contains(79));
}

// ---------------------------------------------------------------- Selector

Selector site_selector() {
  Selector s;
  s.local = prefix("192.0.2.0/24");
  s.remote = prefix("198.51.100.0/24");
  return s;
}

TEST(Selector, AddressesByDirection) {
  const Selector s = site_selector();
  // Outbound: source is ours, destination is theirs.
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9")));
  EXPECT_FALSE(s.matches_outbound(packet("198.51.100.9", "192.0.2.5")));
  // Inbound: source is theirs, destination is ours.
  EXPECT_TRUE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5")));
  EXPECT_FALSE(s.matches_inbound(packet("192.0.2.5", "198.51.100.9")));
  // Outside either range.
  EXPECT_FALSE(s.matches_outbound(packet("203.0.113.1", "198.51.100.9")));
  EXPECT_FALSE(s.matches_outbound(packet("192.0.2.5", "203.0.113.1")));
  EXPECT_FALSE(s.matches_inbound(packet("203.0.113.1", "192.0.2.5")));
  EXPECT_FALSE(s.matches_inbound(packet("198.51.100.9", "203.0.113.1")));
}

TEST(Selector, V6Addresses) {
  Selector s;
  s.local = prefix("2001:db8:a::/48");
  s.remote = prefix("2001:db8:b::/48");
  EXPECT_TRUE(s.matches_outbound(packet("2001:db8:a::1", "2001:db8:b::2", ip_protocol::kTcp)));
  EXPECT_TRUE(s.matches_inbound(packet("2001:db8:b::2", "2001:db8:a::1", ip_protocol::kIcmpv6)));
  EXPECT_FALSE(s.matches_outbound(packet("2001:db8:b::2", "2001:db8:a::1")));
  EXPECT_FALSE(s.matches_outbound(packet("192.0.2.1", "198.51.100.1")));
}

TEST(Selector, ProtocolAnyOrExact) {
  Selector s = site_selector();
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kTcp)));
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kIcmp)));
  s.protocol = ip_protocol::kTcp;
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kTcp)));
  EXPECT_FALSE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kUdp)));
  EXPECT_TRUE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kTcp)));
  EXPECT_FALSE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kIcmp)));
}

TEST(Selector, PortsByDirection) {
  Selector s = site_selector();
  s.protocol = ip_protocol::kTcp;
  s.remote_ports = PortRange{443, 443};  // our clients to their HTTPS server
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kTcp, 50000, 443)));
  EXPECT_FALSE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kTcp, 50000, 80)));
  EXPECT_FALSE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kTcp, 443, 50000)));
  // The reply comes from their port 443.
  EXPECT_TRUE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kTcp, 443, 50000)));
  EXPECT_FALSE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kTcp, 50000, 443)));

  s.local_ports = PortRange{1024, 65535};
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kTcp, 1024, 443)));
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kTcp, 65535, 443)));
  EXPECT_FALSE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kTcp, 1023, 443)));
  EXPECT_TRUE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kTcp, 443, 1024)));
  EXPECT_FALSE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kTcp, 443, 1023)));
}

TEST(Selector, AnyPortsIgnorePacketPorts) {
  Selector s = site_selector();
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kUdp, 1, 2)));
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kEsp, 0, 0)));
}

TEST(Selector, FragmentsOnlyMatchPortlessSelectors) {
  IpPacketInfo frag = packet("192.0.2.5", "198.51.100.9", ip_protocol::kUdp, 0, 0);
  frag.is_fragment = true;
  Selector any_ports = site_selector();
  EXPECT_TRUE(any_ports.matches_outbound(frag));
  Selector with_ports = site_selector();
  with_ports.remote_ports = PortRange{0, 1000};  // would contain the zero a fragment reports
  EXPECT_FALSE(with_ports.matches_outbound(frag));
  IpPacketInfo frag_in = packet("198.51.100.9", "192.0.2.5", ip_protocol::kUdp, 0, 0);
  frag_in.is_fragment = true;
  EXPECT_TRUE(any_ports.matches_inbound(frag_in));
  EXPECT_FALSE(with_ports.matches_inbound(frag_in));
  // Not fragmented: the same packet matches.
  EXPECT_TRUE(with_ports.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kUdp, 0, 0)));
}

TEST(Selector, IcmpTypeAndCodeUseThePortFields) {
  // parse_ip_packet puts the ICMP type in source_port and the code in destination_port.
  Selector s = site_selector();
  s.protocol = ip_protocol::kIcmp;
  s.local_ports = PortRange{8, 8};   // echo request
  s.remote_ports = PortRange{0, 0};  // code 0
  EXPECT_TRUE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kIcmp, 8, 0)));
  EXPECT_FALSE(s.matches_outbound(packet("192.0.2.5", "198.51.100.9", ip_protocol::kIcmp, 0, 0)));
  // Inbound too the type is held against the local-port selector and the code against the remote
  // one (RFC 4301 §4.4.1.1): unlike TCP/UDP ports they are not swapped.
  EXPECT_TRUE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kIcmp, 8, 0)));
  EXPECT_FALSE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kIcmp, 0, 8)));
  s.protocol = ip_protocol::kUdp;
  s.local_ports = PortRange{500, 500};
  s.remote_ports = PortRange{4500, 4500};
  EXPECT_TRUE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kUdp, 4500, 500)));
  EXPECT_FALSE(s.matches_inbound(packet("198.51.100.9", "192.0.2.5", ip_protocol::kUdp, 500, 4500)));
}

TEST(Selector, ToStringMentionsEverything) {
  Selector s = site_selector();
  EXPECT_EQ(s.to_string(), "192.0.2.0/24 <=> 198.51.100.0/24 proto any");
  s.protocol = ip_protocol::kTcp;
  s.remote_ports = PortRange{443, 443};
  s.local_ports = PortRange{1024, 65535};
  EXPECT_EQ(s.to_string(), "192.0.2.0/24[1024-65535] <=> 198.51.100.0/24[443] proto 6");
}

TEST(Selector, Equality) {
  EXPECT_EQ(site_selector(), site_selector());
  Selector other = site_selector();
  other.protocol = ip_protocol::kUdp;
  EXPECT_NE(site_selector(), other);
}

}  // namespace
}  // namespace cygnet::ipsec
