// ICMP Too Big codec: what we build parses back with the fields we meant (and checksums that
// verify), what routers send us is read only when it is the right type and holds a quoted header,
// and no error is ever built about an ICMP error, a non-first fragment or a multicast source.
// Plus outer fragmentation of IPv6 packets (IPv4 is covered with the data plane).
#include "wire/icmp_too_big.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/ip_fragment.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::wire {
namespace {

IpAddress addr(const char* t) {
  return *IpAddress::parse(t);
}

Bytes packet(const char* src, const char* dst, std::uint8_t protocol, std::size_t payload, bool df = true) {
  const IpAddress s = addr(src);
  const bool v4 = s.is_v4();
  Bytes p((v4 ? 20 : 40) + payload);
  for (std::size_t i = 0; i < payload; ++i) p[p.size() - payload + i] = static_cast<std::uint8_t>(i * 7);
  if (v4) {
    Ipv4HeaderFields h;
    h.source = s;
    h.destination = addr(dst);
    h.protocol = protocol;
    h.total_length = static_cast<std::uint16_t>(p.size());
    h.dont_fragment = df;
    h.identification = 0x1234;
    write_ipv4_header(p, h);
  } else {
    Ipv6HeaderFields h;
    h.source = s;
    h.destination = addr(dst);
    h.next_header = protocol;
    h.payload_length = static_cast<std::uint16_t>(payload);
    write_ipv6_header(p, h);
  }
  return p;
}

TEST(IcmpTooBig, BuiltMessagesParseBack) {
  Bytes out(2000);
  Bytes v4 = packet("198.51.100.7", "203.0.113.9", 50, 1400);
  std::size_t n = build_icmp_too_big(out, addr("192.0.2.1"), v4, 1226);
  ASSERT_EQ(n, 576u);
  auto r = parse_icmp_too_big(ByteView(out.data(), n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mtu, 1226u);
  EXPECT_EQ(r->quoted_source, addr("198.51.100.7"));
  EXPECT_EQ(r->quoted_destination, addr("203.0.113.9"));
  EXPECT_EQ(r->quoted_protocol, 50);
  EXPECT_EQ(r->quoted_total_length, 1420);
  EXPECT_EQ(internet_checksum(ByteView(out.data() + 20, n - 20)), 0);

  Bytes v6 = packet("2001:db8:a::7", "2001:db8:b::9", 50, 2000);
  n = build_icmp_too_big(out, addr("2001:db8::1"), v6, 1400);
  ASSERT_EQ(n, 1280u);
  r = parse_icmp_too_big(ByteView(out.data(), n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->family, IpFamily::V6);
  EXPECT_EQ(r->mtu, 1400u);
  EXPECT_EQ(r->quoted_destination, addr("2001:db8:b::9"));
  // A small offending packet is quoted whole.
  Bytes small = packet("198.51.100.7", "203.0.113.9", 17, 100);
  EXPECT_EQ(build_icmp_too_big(out, addr("192.0.2.1"), small, 1000), 20u + 8 + 120);
  // Family mismatch and short buffers are refused.
  EXPECT_EQ(build_icmp_too_big(out, addr("2001:db8::1"), small, 1000), 0u);
  EXPECT_EQ(build_icmp_too_big(MutableByteView(out.data(), 100), addr("192.0.2.1"), small, 1000), 0u);
}

TEST(IcmpTooBig, NeverAboutErrorsFragmentsOrMulticast) {
  Bytes echo = packet("198.51.100.7", "203.0.113.9", 1, 64);
  echo[20] = 8;  // echo request: may be answered
  EXPECT_TRUE(may_answer_with_icmp_error(echo));
  echo[20] = 3;  // an ICMP error itself
  EXPECT_FALSE(may_answer_with_icmp_error(echo));
  Bytes later_fragment = packet("198.51.100.7", "203.0.113.9", 17, 64, false);
  store_be16(later_fragment.data() + 6, 10);
  EXPECT_FALSE(may_answer_with_icmp_error(later_fragment));
  EXPECT_FALSE(may_answer_with_icmp_error(packet("224.0.0.5", "203.0.113.9", 17, 64)));
  Bytes v6_error = packet("2001:db8:a::7", "2001:db8:b::9", 58, 64);
  v6_error[40] = 1;
  EXPECT_FALSE(may_answer_with_icmp_error(v6_error));
  v6_error[40] = 128;
  EXPECT_TRUE(may_answer_with_icmp_error(v6_error));
}

TEST(IcmpTooBig, ReceivedMessagesOfOtherKindsOrTruncatedAreRefused) {
  Bytes out(2000);
  Bytes v4 = packet("192.0.2.1", "198.51.100.1", 50, 1400);
  std::size_t n = build_icmp_too_big(out, addr("203.0.113.254"), v4, 1280);
  Bytes message(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  EXPECT_TRUE(parse_icmp_too_big(message));
  Bytes wrong_code = message;
  wrong_code[21] = 1;  // host unreachable
  EXPECT_FALSE(parse_icmp_too_big(wrong_code));
  Bytes cut(message.begin(), message.begin() + 20 + 8 + 12);  // quote shorter than an IP header
  store_be16(cut.data() + 2, static_cast<std::uint16_t>(cut.size()));
  EXPECT_FALSE(parse_icmp_too_big(cut));
  EXPECT_FALSE(parse_icmp_too_big(ByteView()));
  EXPECT_FALSE(parse_icmp_too_big(packet("192.0.2.1", "198.51.100.1", 17, 40)));
}

TEST(IpFragment, Ipv6GetsFragmentHeadersAndReassembles) {
  Bytes p = packet("2001:db8::1", "2001:db8:ffff::2", 50, 3000);
  std::vector<Bytes> fragments;
  Bytes scratch(1280);
  const std::size_t n = fragment_ip_packet(p, 1280, 0xabcdef01, scratch, [&](ByteView f) {
    fragments.emplace_back(f.begin(), f.end());
    return true;
  });
  ASSERT_EQ(n, 3u);
  Bytes payload;
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    const Bytes& f = fragments[i];
    EXPECT_LE(f.size(), 1280u);
    EXPECT_EQ(f[6], ip_protocol::kFragment);
    EXPECT_EQ(load_be16(f.data() + 4) + 40u, f.size());
    EXPECT_EQ(f[40], 50);  // next header of the original
    EXPECT_EQ(load_be32(f.data() + 44), 0xabcdef01u);
    const std::uint16_t field = load_be16(f.data() + 42);
    EXPECT_EQ(field & 0xFFF8u, payload.size());
    EXPECT_EQ(field & 1u, i + 1 < fragments.size() ? 1u : 0u);
    if (i + 1 < fragments.size()) {
      EXPECT_EQ((f.size() - 48) % 8, 0u);
    }
    payload.insert(payload.end(), f.begin() + 48, f.end());
  }
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), p.begin() + 40, p.end()));
  ASSERT_EQ(payload.size(), 3000u);
  // DF set on IPv4: refused, nothing emitted.
  Bytes df = packet("192.0.2.1", "198.51.100.1", 50, 3000, true);
  EXPECT_EQ(fragment_ip_packet(df, 1280, 0, scratch, [](ByteView) { return true; }), 0u);
  // Too small a scratch buffer: refused.
  Bytes tiny(100);
  EXPECT_EQ(fragment_ip_packet(p, 1280, 0, tiny, [](ByteView) { return true; }), 0u);
}

}  // namespace
}  // namespace cygnet::wire
