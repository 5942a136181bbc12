#include "wire/ip_address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace cygnet::wire {
namespace {

IpAddress addr(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

IpPrefix prefix(std::string_view text) {
  auto p = IpPrefix::parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(IpPrefix{});
}

TEST(IpAddress, DefaultIsV4Zero) {
  IpAddress a;
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.family(), IpFamily::V4);
  EXPECT_EQ(to_hex(a.bytes()), "00000000");
  EXPECT_EQ(a.bit_length(), 32u);
  EXPECT_EQ(a.to_string(), "0.0.0.0");
}

TEST(IpAddress, ParsesV4) {
  IpAddress a = addr("192.0.2.1");
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(to_hex(a.bytes()), "c0000201");
  EXPECT_EQ(a.to_string(), "192.0.2.1");
  EXPECT_EQ(a, IpAddress::v4(0xc0000201u));
  EXPECT_EQ(a, IpAddress::v4(from_hex("c0000201")));
}

TEST(IpAddress, ParsesV6AndPrintsCanonically) {
  IpAddress a = addr("2001:0DB8:0:0:0:0:0:0001");
  EXPECT_FALSE(a.is_v4());
  EXPECT_EQ(a.family(), IpFamily::V6);
  EXPECT_EQ(a.bit_length(), 128u);
  EXPECT_EQ(to_hex(a.bytes()), "20010db8000000000000000000000001");
  EXPECT_EQ(a.to_string(), "2001:db8::1");
  EXPECT_EQ(a, IpAddress::v6(from_hex("20010db8000000000000000000000001")));
  EXPECT_EQ(addr("::").to_string(), "::");
  EXPECT_EQ(addr("2001:db8:1:2:3:4:5:6").to_string(), "2001:db8:1:2:3:4:5:6");
}

TEST(IpAddress, V4MappedIsV6) {
  IpAddress a = addr("::ffff:192.0.2.7");
  EXPECT_FALSE(a.is_v4());
  EXPECT_EQ(to_hex(a.bytes()), "00000000000000000000ffffc0000207");
  EXPECT_EQ(a.to_string(), "::ffff:192.0.2.7");
  EXPECT_NE(a, addr("192.0.2.7"));
}

TEST(IpAddress, RejectsMalformedText) {
  for (std::string_view bad :
       {"", "192.0.2", "192.0.2.256", "192.0.2.1.5", " 192.0.2.1", "192.0.2.1 ", "192.0.2.-1",
        "192.0.2.1/32", "0x01.0.2.1", "2001:db8::1::2", "2001:db8:::1", "2001:db8::g",
        "2001:db8::1%eth0", "[2001:db8::1]", "1:2:3:4:5:6:7:8:9", ":", "localhost"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  }
  // Embedded NUL: the text after it must not be ignored.
  const std::string with_nul("192.0.2.1\0junk", 14);
  EXPECT_FALSE(IpAddress::parse(with_nul).has_value());
  EXPECT_FALSE(IpAddress::parse(std::string(1000, '1')).has_value());
  EXPECT_FALSE(IpAddress::parse(std::string(200, ':')).has_value());
}

TEST(IpAddress, ParsesFromNonTerminatedView) {
  const std::string text = "198.51.100.23extra";
  EXPECT_EQ(IpAddress::parse(std::string_view(text).substr(0, 13)), addr("198.51.100.23"));
}

TEST(IpAddress, ShortByteViewsLeaveZeros) {
  EXPECT_EQ(to_hex(IpAddress::v4(from_hex("c633")).bytes()), "c6330000");
  EXPECT_EQ(IpAddress::v6(from_hex("2001")).to_string(), "2001::");
}

TEST(IpAddress, OrdersByFamilyThenBytes) {
  EXPECT_LT(addr("192.0.2.1"), addr("192.0.2.2"));
  EXPECT_LT(addr("192.0.2.255"), addr("198.51.100.0"));
  EXPECT_LT(addr("203.0.113.9"), addr("2001:db8::"));  // every V4 before every V6
  EXPECT_LT(addr("2001:db8::1"), addr("2001:db8::2"));
  EXPECT_NE(addr("0.0.0.0"), addr("::"));
}

TEST(IpAddress, HashWorksInUnorderedSet) {
  IpAddressHash hash;
  EXPECT_EQ(hash(addr("2001:db8::1")), hash(addr("2001:db8:0::1")));
  std::unordered_set<IpAddress, IpAddressHash> set;
  set.insert(addr("192.0.2.1"));
  set.insert(addr("192.0.2.1"));
  set.insert(addr("192.0.2.2"));
  set.insert(addr("0.0.0.0"));
  set.insert(addr("::"));
  EXPECT_EQ(set.size(), 4u);
  EXPECT_EQ(set.count(addr("192.0.2.2")), 1u);
  EXPECT_EQ(set.count(addr("192.0.2.3")), 0u);
}

TEST(IpPrefix, ParsesAndMasksHostBits) {
  IpPrefix p = prefix("198.51.100.77/24");
  EXPECT_EQ(p.address, addr("198.51.100.0"));
  EXPECT_EQ(p.length, 24);
  EXPECT_EQ(p.to_string(), "198.51.100.0/24");

  EXPECT_EQ(prefix("203.0.113.200/25").address, addr("203.0.113.128"));
  EXPECT_EQ(prefix("203.0.113.255/31").address, addr("203.0.113.254"));
  EXPECT_EQ(prefix("203.0.113.255/1").address, addr("128.0.0.0"));
  EXPECT_EQ(prefix("203.0.113.255/0").address, addr("0.0.0.0"));
  EXPECT_EQ(prefix("2001:db8:abcd:12ff::1/56").to_string(), "2001:db8:abcd:1200::/56");
  EXPECT_EQ(prefix("2001:db8:abcd:12ff::1/63").to_string(), "2001:db8:abcd:12fe::/63");
  EXPECT_EQ(prefix("2001:db8::1/0").to_string(), "::/0");
}

TEST(IpPrefix, BareAddressIsHostPrefix) {
  IpPrefix v4 = prefix("192.0.2.9");
  EXPECT_EQ(v4.length, 32);
  EXPECT_EQ(v4.address, addr("192.0.2.9"));
  IpPrefix v6 = prefix("2001:db8::9");
  EXPECT_EQ(v6.length, 128);
  EXPECT_EQ(v6.to_string(), "2001:db8::9/128");
  EXPECT_EQ(prefix("192.0.2.9/32"), v4);
}

TEST(IpPrefix, RejectsBadLengthsAndText) {
  for (std::string_view bad :
       {"192.0.2.0/33", "192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/+8", "192.0.2.0/ 8",
        "192.0.2.0/8 ", "192.0.2.0/1000", "192.0.2.0/24x", "192.0.2.0/24/8", "/24", "x/24",
        "2001:db8::/129", "2001:db8::/256", "2001:db8::/", "192.0.2.0/0x10"}) {
    EXPECT_FALSE(IpPrefix::parse(bad).has_value()) << bad;
  }
  EXPECT_TRUE(IpPrefix::parse("2001:db8::/128").has_value());
  EXPECT_TRUE(IpPrefix::parse("192.0.2.0/032").has_value());
}

TEST(IpPrefix, Contains) {
  IpPrefix p = prefix("198.51.100.0/24");
  EXPECT_TRUE(p.contains(addr("198.51.100.0")));
  EXPECT_TRUE(p.contains(addr("198.51.100.255")));
  EXPECT_FALSE(p.contains(addr("198.51.101.0")));
  EXPECT_FALSE(p.contains(addr("198.51.99.255")));
  EXPECT_FALSE(p.contains(addr("::ffff:198.51.100.1")));  // other family

  IpPrefix odd = prefix("203.0.113.64/26");
  EXPECT_TRUE(odd.contains(addr("203.0.113.64")));
  EXPECT_TRUE(odd.contains(addr("203.0.113.127")));
  EXPECT_FALSE(odd.contains(addr("203.0.113.63")));
  EXPECT_FALSE(odd.contains(addr("203.0.113.128")));

  IpPrefix all4 = prefix("0.0.0.0/0");
  EXPECT_TRUE(all4.contains(addr("192.0.2.1")));
  EXPECT_FALSE(all4.contains(addr("2001:db8::1")));

  IpPrefix v6 = prefix("2001:db8:0:8000::/49");
  EXPECT_TRUE(v6.contains(addr("2001:db8:0:8000::1")));
  EXPECT_TRUE(v6.contains(addr("2001:db8:0:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(v6.contains(addr("2001:db8:0:7fff::1")));
  EXPECT_FALSE(v6.contains(addr("192.0.2.1")));

  IpPrefix host = prefix("2001:db8::5");
  EXPECT_TRUE(host.contains(addr("2001:db8::5")));
  EXPECT_FALSE(host.contains(addr("2001:db8::4")));
}

TEST(IpPrefix, ContainsToleratesHandBuiltValues) {
  // Fields are public: an unmasked address or an over-long length must not misbehave.
  IpPrefix p;
  p.address = addr("192.0.2.77");
  p.length = 24;
  EXPECT_TRUE(p.contains(addr("192.0.2.1")));
  p.length = 200;
  EXPECT_TRUE(p.contains(addr("192.0.2.77")));
  EXPECT_FALSE(p.contains(addr("192.0.2.78")));
}

}  // namespace
}  // namespace cygnet::wire
