// AH packet path (RFC 4302): round trips for every integrity algorithm in tunnel and transport
// mode over IPv4 and IPv6, header layout and alignment, the ICV checked against an independent
// computation (mutable fields zeroed per RFC 4302 §3.3.3.1), which header fields may change in
// transit and which may not, tampering and truncation sweeps, anti-replay, ESN, lifetimes and
// output-buffer bounds.
#include "ipsec/ah.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/hmac.hpp"
#include "ipsec/drop_reason.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/security_association.hpp"
#include "unit/ipsec/packet_assertions.hpp"
#include "unit/ipsec/test_packets.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::ipsec {
namespace {

using test::L4;
using test::PacketSpec;
using test::Processed;
using test::SaOptions;
using test::SaPair;
using test::Suite;
using wire::IpFamily;

constexpr TimePoint kT0{};
constexpr IpFamily V4 = IpFamily::V4;
constexpr IpFamily V6 = IpFamily::V6;
constexpr std::uint8_t kAh = wire::ip_protocol::kAh;

const std::vector<std::string> kAhSuites = {"sha1", "sha256", "sha384", "sha512"};

using test::param_name;

Processed encap(SecurityAssociation& sa, ByteView packet, TimePoint now = kT0) {
  return test::run_into_buffer(packet, [&](MutableByteView out) { return ah_encapsulate(sa, packet, out, now); });
}

Processed decap(SecurityAssociation& sa, ByteView packet, std::size_t offset, TimePoint now = kT0) {
  return test::decapsulate_with(ah_decapsulate, sa, packet, offset, now);
}

::testing::AssertionResult dropped_as(SecurityAssociation& sa, ByteView packet, std::size_t offset, DropReason want,
                                      TimePoint now = kT0) {
  return test::dropped_as_with(ah_decapsulate, sa, packet, offset, want, now);
}

::testing::AssertionResult decaps_to(SecurityAssociation& sa, ByteView packet, std::size_t offset, ByteView expected,
                                     TimePoint now = kT0) {
  return test::decaps_to_with(ah_decapsulate, sa, packet, offset, expected, now);
}

// ------------------------------------------------------------------ independent ICV (RFC 4302)

// IPv4 options that do not change in transit (RFC 4302 Appendix A.1); all others are zeroed whole.
bool ipv4_option_immutable(std::uint8_t type) {
  return type == 0 || type == 1 || type == 130 || type == 133 || type == 134 || type == 148 || type == 149;
}

// The packet as the ICV sees it (RFC 4302 §3.3.3.1 and the §3.4.4 implementation note): mutable
// IP header fields zeroed, the ICV field zeroed but NOT its padding, ESN high half appended.
Bytes icv_input(ByteView packet, std::size_t ah_offset, std::size_t icv_length, std::optional<std::uint32_t> esn_high) {
  Bytes c(packet.begin(), packet.end());
  if ((c[0] >> 4) == 4) {
    c[1] = 0;          // TOS
    c[6] = c[7] = 0;   // flags, fragment offset
    c[8] = 0;          // TTL
    c[10] = c[11] = 0; // checksum
    const std::size_t ihl = std::size_t{c[0] & 0x0Fu} * 4;
    std::size_t i = 20;
    while (i < ihl) {
      const std::uint8_t type = c[i];
      if (type == 0) break;
      if (type == 1) {
        ++i;
        continue;
      }
      const std::size_t len = c[i + 1];
      if (!ipv4_option_immutable(type)) std::fill_n(c.begin() + static_cast<std::ptrdiff_t>(i), len, 0);
      i += len;
    }
  } else {
    c[0] &= 0xF0;  // traffic class, flow label
    c[1] = 0;
    c[2] = c[3] = 0;
    c[7] = 0;  // hop limit
    std::uint8_t next = c[6];
    std::size_t off = 40;
    while (off < ah_offset) {
      const std::size_t len = next == wire::ip_protocol::kFragment ? 8 : (std::size_t{c[off + 1]} + 1) * 8;
      if (next == wire::ip_protocol::kHopByHop || next == wire::ip_protocol::kDestinationOptions) {
        std::size_t i = off + 2;
        while (i < off + len) {
          if (c[i] == 0) {
            ++i;
            continue;
          }
          const std::size_t data = c[i + 1];
          if ((c[i] & 0x20) != 0) std::fill_n(c.begin() + static_cast<std::ptrdiff_t>(i + 2), data, 0);
          i += 2 + data;
        }
      }
      next = c[off];
      off += len;
    }
  }
  std::fill_n(c.begin() + static_cast<std::ptrdiff_t>(ah_offset + 12), icv_length, 0);
  if (esn_high) test::put32(c, *esn_high);
  return c;
}

Bytes expected_icv(const SaPair& pair, ByteView packet, std::size_t ah_offset, std::uint64_t seq) {
  const std::size_t icv_len = crypto::integrity_icv_length(*pair.suite.integrity);
  std::optional<std::uint32_t> high;
  if (pair.options.esn) high = static_cast<std::uint32_t>(seq >> 32);
  crypto::Hmac hmac(crypto::integrity_hash(*pair.suite.integrity), pair.integrity_key);
  Bytes icv(icv_len);
  EXPECT_TRUE(hmac.compute({icv_input(packet, ah_offset, icv_len, high)}, icv));
  return icv;
}

// AH length with ICV padding: 32-bit aligned over IPv4, 64-bit over IPv6 (RFC 4302 §2.6, §3.3.3.2.1).
std::size_t ah_length(const Suite& s, IpFamily family) {
  const std::size_t raw = 12 + crypto::integrity_icv_length(*s.integrity);
  const std::size_t align = family == V4 ? 4 : 8;
  return (raw + align - 1) / align * align;
}

// An AH packet built from the RFC by the test, with a valid ICV. Tunnel: `inner` is carried
// whole; transport: `inner`'s header gets AH after it. `padding` replaces the ICV padding.
struct Crafted {
  Bytes bytes;
  std::size_t offset = 0;
};

Crafted craft_ah(const SaPair& pair, ByteView inner, std::uint64_t seq, std::optional<Bytes> padding = std::nullopt) {
  const bool tunnel = pair.options.mode == Mode::Tunnel;
  const IpFamily family = pair.options.outer;
  Crafted c;
  Bytes payload;
  std::uint8_t next_header = 0;
  if (tunnel) {
    test::Ipv4Extras x4;
    x4.dont_fragment = false;
    c.bytes = family == V4 ? test::ipv4_packet(pair.sender, pair.receiver, kAh, {}, x4)
                           : test::ipv6_packet(pair.sender, pair.receiver, kAh, {});
    payload.assign(inner.begin(), inner.end());
    next_header = (inner[0] >> 4) == 4 ? wire::ip_protocol::kIpv4 : wire::ip_protocol::kIpv6;
  } else {
    auto info = wire::parse_ip_packet(inner);
    c.bytes.assign(inner.begin(), inner.begin() + static_cast<std::ptrdiff_t>(info->header_length));
    c.bytes[info->next_header_offset] = kAh;
    payload.assign(inner.begin() + static_cast<std::ptrdiff_t>(info->header_length), inner.end());
    next_header = info->protocol;
  }
  c.offset = c.bytes.size();
  const std::size_t len = ah_length(pair.suite, family);
  const std::size_t icv_len = crypto::integrity_icv_length(*pair.suite.integrity);
  c.bytes.push_back(next_header);
  c.bytes.push_back(static_cast<std::uint8_t>(len / 4 - 2));
  test::put16(c.bytes, 0);
  test::put32(c.bytes, pair.options.spi);
  test::put32(c.bytes, static_cast<std::uint32_t>(seq));
  c.bytes.insert(c.bytes.end(), icv_len, 0);
  Bytes pad = padding.value_or(Bytes(len - 12 - icv_len, 0));
  EXPECT_EQ(pad.size(), len - 12 - icv_len);
  test::append(c.bytes, pad);
  test::append(c.bytes, payload);
  test::fix_ip_length(c.bytes);
  const Bytes icv = expected_icv(pair, c.bytes, c.offset, seq);
  std::copy(icv.begin(), icv.end(), c.bytes.begin() + static_cast<std::ptrdiff_t>(c.offset + 12));
  return c;
}

// ------------------------------------------------------------------ paths

struct PathConfig {
  const char* name;
  Mode mode;
  IpFamily outer;
  IpFamily inner;
  bool header_extras;
};

const PathConfig kPaths[] = {
    {"tunnel 4in4", Mode::Tunnel, V4, V4, false},
    {"tunnel 6in6", Mode::Tunnel, V6, V6, false},
    {"tunnel 4in6", Mode::Tunnel, V6, V4, false},
    {"tunnel 6in4", Mode::Tunnel, V4, V6, false},
    {"transport v4", Mode::Transport, V4, V4, false},
    {"transport v6", Mode::Transport, V6, V6, false},
    {"transport v4 with options", Mode::Transport, V4, V4, true},
    {"transport v6 with hop-by-hop", Mode::Transport, V6, V6, true},
};

// Record route (mutable) and router alert (immutable) for IPv4; for IPv6 a hop-by-hop header with
// an option whose change-en-route bit is set (type 0x23) and one without (0x05, router alert).
Bytes ipv4_test_options() { return {0x07, 0x07, 0x04, 0xC0, 0x00, 0x02, 0x01, 0x94, 0x04, 0x00, 0x00}; }
constexpr std::size_t kRecordRouteDataAt = 20 + 3;  // offsets inside the IPv4 header
constexpr std::size_t kRouterAlertValueAt = 20 + 9;

test::Ipv6Extension ipv6_test_hop_by_hop() {
  return test::ipv6_options_header(wire::ip_protocol::kHopByHop,
                                   Bytes{0x23, 0x04, 0xAA, 0xBB, 0xCC, 0xDD, 0x05, 0x02, 0x00, 0x00});
}
constexpr std::size_t kMutableOptionDataAt = 40 + 2 + 2;  // data of option 0x23
constexpr std::size_t kImmutableOptionDataAt = 40 + 2 + 6 + 2;  // data of option 0x05

PacketSpec spec_for(const PathConfig& path, std::size_t size, std::uint32_t seed) {
  PacketSpec s;
  s.kind = static_cast<L4>(seed % 3);
  s.payload_size = size;
  s.seed = seed;
  s.ds = static_cast<std::uint8_t>(seed * 37 + 4);
  s.flow_label = (seed * 7919u) & 0xFFFFFu;
  if (path.header_extras) {
    if (path.inner == V4) {
      s.ipv4_options = ipv4_test_options();
    } else {
      s.ipv6_extensions = {ipv6_test_hop_by_hop()};
    }
  }
  return s;
}

SaOptions options_for(const PathConfig& path, bool esn) {
  SaOptions o;
  o.mode = path.mode;
  o.outer = path.outer;
  o.esn = esn;
  return o;
}

// Everything about an AH packet: outer header, AH fields, payload, ICV (independently).
::testing::AssertionResult check_ah_packet(const SaPair& pair, ByteView inner, const Processed& enc,
                                           std::uint64_t expected_seq) {
  auto fail = [] { return ::testing::AssertionFailure(); };
  if (!enc.result.ok) return fail() << "encapsulation dropped: " << drop_reason_name(enc.result.drop);
  const ByteView p = enc.bytes;
  const bool tunnel = pair.options.mode == Mode::Tunnel;
  std::size_t ip_header = 0;
  ByteView payload = inner;
  std::uint8_t next_header = 0;
  if (tunnel) {
    next_header = (inner[0] >> 4) == 4 ? 4 : 41;
    if (pair.options.outer == V4) {
      ip_header = 20;
      if (p[0] != 0x45) return fail() << "outer IPv4 version/IHL";
      if (test::get16(p, 2) != p.size()) return fail() << "outer total length";
      if (test::inet_checksum({p.first(20)}) != 0) return fail() << "outer IPv4 checksum";
      if (p[9] != kAh) return fail() << "outer protocol " << int{p[9]};
      if (wire::IpAddress::v4(p.subspan(12, 4)) != pair.sender || wire::IpAddress::v4(p.subspan(16, 4)) != pair.receiver)
        return fail() << "outer addresses";
    } else {
      ip_header = 40;
      if ((p[0] >> 4) != 6) return fail() << "outer IPv6 version";
      if (test::get16(p, 4) != p.size() - 40) return fail() << "outer payload length";
      if (p[6] != kAh) return fail() << "outer next header " << int{p[6]};
      if (wire::IpAddress::v6(p.subspan(8, 16)) != pair.sender || wire::IpAddress::v6(p.subspan(24, 16)) != pair.receiver)
        return fail() << "outer addresses";
    }
    if ((test::ds_field(p) & 0xFC) != (test::ds_field(inner) & 0xFC)) return fail() << "DSCP not copied";
  } else {
    auto info = wire::parse_ip_packet(inner);
    ip_header = info->header_length;
    payload = inner.subspan(ip_header);
    next_header = info->protocol;
    Bytes expect(inner.begin(), inner.begin() + static_cast<std::ptrdiff_t>(ip_header));
    expect[info->next_header_offset] = kAh;
    if (info->family == V4) {
      test::set16(expect, 2, static_cast<std::uint16_t>(p.size()));
      test::fix_ipv4_checksum(expect);
    } else {
      test::set16(expect, 4, static_cast<std::uint16_t>(p.size() - 40));
    }
    if (p.size() < ip_header || !std::equal(expect.begin(), expect.end(), p.begin())) {
      return fail() << "transport header not preserved";
    }
  }
  if (enc.result.protocol_offset != ip_header) return fail() << "protocol_offset " << enc.result.protocol_offset;
  const std::size_t len = ah_length(pair.suite, pair.options.outer);
  if (p.size() != ip_header + len + payload.size()) return fail() << "total size " << p.size();
  const ByteView ah = p.subspan(ip_header);
  if (ah[0] != next_header) return fail() << "AH next header " << int{ah[0]} << ", expected " << int{next_header};
  if (ah[1] != len / 4 - 2) return fail() << "AH payload length " << int{ah[1]} << ", expected " << len / 4 - 2;
  if (ah[2] != 0 || ah[3] != 0) return fail() << "AH reserved not zero";
  if (test::get32(ah, 4) != pair.options.spi) return fail() << "SPI";
  if (test::get32(ah, 8) != static_cast<std::uint32_t>(expected_seq)) return fail() << "sequence number";
  if (!std::equal(payload.begin(), payload.end(), ah.begin() + static_cast<std::ptrdiff_t>(len))) {
    return fail() << "payload not carried unchanged after AH";
  }
  const std::size_t icv_len = crypto::integrity_icv_length(*pair.suite.integrity);
  const Bytes icv = expected_icv(pair, p, ip_header, expected_seq);
  if (!std::equal(icv.begin(), icv.end(), ah.begin() + 12) || icv_len != icv.size()) {
    return fail() << "ICV differs from the RFC 4302 computation";
  }
  return ::testing::AssertionSuccess();
}

Bytes v4_inner(std::size_t size = 24, std::uint32_t seed = 3) {
  return test::make_packet(test::v4_host_a(), test::v4_host_b(), L4::Udp, size, seed);
}

// ------------------------------------------------------------------ per-suite tests

class AhSuiteTest : public ::testing::TestWithParam<std::string> {
 protected:
  Suite suite() const { return test::ah_suite(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(AhSuites, AhSuiteTest, ::testing::ValuesIn(kAhSuites), param_name);

TEST_P(AhSuiteTest, RoundTripEveryPathSizeAndEsn) {
  const Suite s = suite();
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i <= 64; ++i) sizes.push_back(i);
  sizes.push_back(1400);
  for (const PathConfig& path : kPaths) {
    for (bool esn : {false, true}) {
      SCOPED_TRACE(std::string(path.name) + (esn ? " esn" : ""));
      SaPair pair = test::make_sa_pair(s, options_for(path, esn));
      std::uint64_t first = 1;
      if (esn) {
        constexpr std::uint64_t kStart = 0x1'FFFF'FFE0;
        pair.outbound->advance_sequence_to(kStart);
        pair.inbound->replay_window().accept(kStart);
        first = kStart + 1;
      }
      std::uint32_t n = 0;
      for (std::size_t size : sizes) {
        const Bytes inner = test::inner_packet_for(pair, path.inner, spec_for(path, size, n));
        const Processed enc = encap(*pair.outbound, inner);
        ASSERT_TRUE(check_ah_packet(pair, inner, enc, first + n)) << "payload size " << size;
        ASSERT_TRUE(decaps_to(*pair.inbound, enc.bytes, enc.result.protocol_offset, inner)) << "payload size " << size;
        ++n;
      }
      EXPECT_EQ(pair.outbound->traffic().packets, n);
      EXPECT_EQ(pair.inbound->traffic().packets, n);
      EXPECT_EQ(pair.inbound->traffic().bytes, pair.outbound->traffic().bytes);
      EXPECT_EQ(pair.inbound->drops().total(), 0u);
      EXPECT_EQ(pair.inbound->replay_window().highest(), first + n - 1);
    }
  }
}

// ah_encapsulate moves the payload before writing headers in front of it, so callers may
// encapsulate in place: the packet at the start of the output buffer, the input view aliasing it.
TEST_P(AhSuiteTest, EncapsulateInPlace) {
  const Suite s = suite();
  for (const PathConfig& path : kPaths) {
    SCOPED_TRACE(path.name);
    SaPair pair = test::make_sa_pair(s, options_for(path, false));
    std::uint64_t seq = 0;
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{33}, std::size_t{600}}) {
      const Bytes inner = test::inner_packet_for(pair, path.inner, spec_for(path, size, static_cast<std::uint32_t>(size)));
      Processed enc;
      enc.bytes.assign(inner.size() + kMaxEncapsulationOverhead, 0xEE);
      std::copy(inner.begin(), inner.end(), enc.bytes.begin());
      enc.result = ah_encapsulate(*pair.outbound, ByteView(enc.bytes.data(), inner.size()), enc.bytes, kT0);
      enc.bytes.resize(enc.result.ok ? enc.result.length : 0);
      ASSERT_TRUE(check_ah_packet(pair, inner, enc, ++seq)) << "size " << size;
      ASSERT_TRUE(decaps_to(*pair.inbound, enc.bytes, enc.result.protocol_offset, inner)) << "size " << size;
    }
  }
}

TEST_P(AhSuiteTest, HeaderLengthFieldAndAlignment) {
  const Suite s = suite();
  const std::size_t icv = crypto::integrity_icv_length(*s.integrity);
  // RFC 4302 §2.2: (12 + ICV + padding) / 4 - 2, padded to 4 bytes (IPv4) or 8 bytes (IPv6).
  const std::uint8_t want_v4 = static_cast<std::uint8_t>((12 + icv + 3) / 4 * 4 / 4 - 2);
  const std::uint8_t want_v6 = static_cast<std::uint8_t>((12 + icv + 7) / 8 * 8 / 4 - 2);
  for (const PathConfig& path : kPaths) {
    SCOPED_TRACE(path.name);
    SaPair pair = test::make_sa_pair(s, options_for(path, false));
    const Bytes inner = test::inner_packet_for(pair, path.inner, spec_for(path, 20, 1));
    const Processed enc = encap(*pair.outbound, inner);
    ASSERT_TRUE(enc.result.ok);
    const std::uint8_t field = enc.bytes[enc.result.protocol_offset + 1];
    EXPECT_EQ(field, path.outer == V4 ? want_v4 : want_v6);
    const std::size_t total_ah = (std::size_t{field} + 2) * 4;
    EXPECT_EQ(total_ah % (path.outer == V4 ? 4 : 8), 0u);
    EXPECT_LT(total_ah - 12 - icv, path.outer == V4 ? 4u : 8u) << "more ICV padding than alignment needs";
    if (path.outer == V6) {
      EXPECT_EQ(enc.result.protocol_offset % 8, 0u);
      EXPECT_EQ((enc.result.protocol_offset + total_ah) % 8, 0u) << "payload after AH not 64-bit aligned";
    }
  }
  // The RFC's numbers, spelled out.
  const std::uint8_t table_v4[] = {4, 5, 7, 9};
  const std::uint8_t table_v6[] = {4, 6, 8, 10};
  const std::size_t index = GetParam() == "sha1" ? 0 : GetParam() == "sha256" ? 1 : GetParam() == "sha384" ? 2 : 3;
  EXPECT_EQ(want_v4, table_v4[index]);
  EXPECT_EQ(want_v6, table_v6[index]);
}

TEST_P(AhSuiteTest, AcceptsPacketsBuiltIndependently) {
  const Suite s = suite();
  for (const PathConfig& path : kPaths) {
    for (bool esn : {false, true}) {
      SCOPED_TRACE(std::string(path.name) + (esn ? " esn" : ""));
      SaPair pair = test::make_sa_pair(s, options_for(path, esn));
      const std::uint64_t base = esn ? 0x3'0000'0000 : 0;
      if (esn) pair.inbound->replay_window().accept(base);
      for (std::uint32_t k = 1; k <= 3; ++k) {
        const Bytes inner = test::inner_packet_for(pair, path.inner, spec_for(path, 10 * k, k));
        const Crafted c = craft_ah(pair, inner, base + k);
        ASSERT_TRUE(decaps_to(*pair.inbound, c.bytes, c.offset, inner)) << "k=" << k;
      }
    }
  }
}

TEST_P(AhSuiteTest, WrongKeyWrongSpiWrongFraming) {
  const Suite s = suite();
  SaPair pair = test::make_sa_pair(s);
  const Bytes inner = v4_inner();
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  SaOptions other_key;
  other_key.key_seed = 42;
  auto wrong_key = test::make_sa(s, other_key, Direction::Inbound);
  EXPECT_TRUE(dropped_as(*wrong_key, enc.bytes, 20, DropReason::IcvFailure));
  SaOptions other_spi;
  other_spi.spi = pair.options.spi ^ 0x100;
  auto wrong_spi = test::make_sa(s, other_spi, Direction::Inbound);
  EXPECT_TRUE(dropped_as(*wrong_spi, enc.bytes, 20, DropReason::UnknownSpi));
  auto& in = *pair.inbound;
  for (std::size_t off : {std::size_t{0}, std::size_t{16}, std::size_t{24}, enc.bytes.size(), std::size_t{1} << 40}) {
    EXPECT_TRUE(dropped_as(in, enc.bytes, off, DropReason::Malformed)) << "offset " << off;
  }
  // The outer protocol must be AH.
  Bytes not_ah = enc.bytes;
  not_ah[9] = wire::ip_protocol::kEsp;
  test::fix_ipv4_checksum(not_ah);
  EXPECT_TRUE(dropped_as(in, not_ah, 20, DropReason::Malformed));
  EXPECT_EQ(in.replay_window().highest(), 0u);
  EXPECT_TRUE(decaps_to(in, enc.bytes, 20, inner));
}

// RFC 4302 §3.3.3.1.1.1: TOS, flags, fragment offset, TTL and checksum are zeroed for the ICV.
TEST_P(AhSuiteTest, Ipv4MutableFieldsMayChangeImmutableMayNot) {
  const Suite s = suite();
  for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
    SCOPED_TRACE(mode_name(mode));
    SaOptions o;
    o.mode = mode;
    SaPair pair = test::make_sa_pair(s, o);
    PacketSpec spec;
    spec.payload_size = 30;
    spec.ds = 0x28;
    if (mode == Mode::Transport) spec.ipv4_options = ipv4_test_options();
    const Bytes inner = mode == Mode::Tunnel ? test::build_packet(test::v4_host_a(), test::v4_host_b(), spec)
                                             : test::build_packet(pair.sender, pair.receiver, spec);
    const std::size_t ah = mode == Mode::Tunnel ? 20 : 32;
    auto fresh = [&](auto&& modify) {
      const Processed enc = encap(*pair.outbound, inner);
      EXPECT_TRUE(enc.result.ok);
      EXPECT_EQ(enc.result.protocol_offset, ah);
      Bytes t = enc.bytes;
      modify(t);
      return t;
    };
    auto expect_ok = [&](const Bytes& t, const char* what) {
      const Processed d = decap(*pair.inbound, t, ah);
      EXPECT_TRUE(d.result.ok) << what << ": " << drop_reason_name(d.result.drop);
      if (!d.result.ok) return;
      if (mode == Mode::Tunnel) {
        EXPECT_EQ(to_hex(d.bytes), to_hex(inner)) << what;
      } else {
        EXPECT_EQ(d.bytes.size(), inner.size()) << what;
        EXPECT_TRUE(std::equal(d.bytes.begin() + 32, d.bytes.end(), inner.begin() + 32)) << what;
      }
    };
    expect_ok(fresh([](Bytes& t) { t[8] = 1; }), "TTL");
    expect_ok(fresh([](Bytes& t) { t[8] -= 1; test::fix_ipv4_checksum(t); }), "TTL with checksum update");
    expect_ok(fresh([](Bytes& t) { t[1] ^= 0xFF; }), "TOS/ECN");
    expect_ok(fresh([](Bytes& t) { t[1] = 0x03; test::fix_ipv4_checksum(t); }), "ECN set to CE");
    expect_ok(fresh([](Bytes& t) { t[6] ^= 0x40; test::fix_ipv4_checksum(t); }), "DF flag");
    expect_ok(fresh([](Bytes& t) { t[10] ^= 0x12; t[11] ^= 0x34; }), "checksum");
    expect_ok(fresh([](Bytes& t) {
                t[1] = 0xB8;
                t[6] ^= 0x40;
                t[8] = 7;
                test::fix_ipv4_checksum(t);
              }),
              "all mutable fields at once");
    if (mode == Mode::Transport) {
      expect_ok(fresh([](Bytes& t) { t[kRecordRouteDataAt + 2] ^= 0x55; }), "record route option data (mutable)");
      EXPECT_TRUE(dropped_as(*pair.inbound, fresh([](Bytes& t) { t[kRouterAlertValueAt] ^= 0x01; }), ah,
                             DropReason::IcvFailure))
          << "router alert option value (immutable)";
    }
    EXPECT_TRUE(dropped_as(*pair.inbound, fresh([](Bytes& t) { t[15] ^= 0x01; test::fix_ipv4_checksum(t); }), ah,
                           DropReason::IcvFailure))
        << "source address";
    EXPECT_TRUE(dropped_as(*pair.inbound, fresh([](Bytes& t) { t[19] ^= 0x80; test::fix_ipv4_checksum(t); }), ah,
                           DropReason::IcvFailure))
        << "destination address";
    EXPECT_TRUE(dropped_as(*pair.inbound, fresh([](Bytes& t) { t[4] ^= 0x01; test::fix_ipv4_checksum(t); }), ah,
                           DropReason::IcvFailure))
        << "identification";
    EXPECT_TRUE(dropped_as(*pair.inbound, fresh([&](Bytes& t) { t[ah] ^= 0x02; }), ah, DropReason::IcvFailure))
        << "AH next header";
    EXPECT_TRUE(dropped_as(*pair.inbound, fresh([](Bytes& t) { t[t.size() - 5] ^= 0x20; }), ah, DropReason::IcvFailure))
        << "payload byte";
  }
}

// RFC 4302 §3.3.3.1.2.1: traffic class, flow label and hop limit are zeroed for the ICV.
TEST_P(AhSuiteTest, Ipv6MutableFieldsMayChangeImmutableMayNot) {
  const Suite s = suite();
  for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
    SCOPED_TRACE(mode_name(mode));
    SaOptions o;
    o.mode = mode;
    o.outer = V6;
    SaPair pair = test::make_sa_pair(s, o);
    PacketSpec spec;
    spec.payload_size = 30;
    spec.ds = 0x28;
    spec.flow_label = 0x12345;
    const Bytes inner = mode == Mode::Tunnel ? test::build_packet(test::v6_host_a(), test::v6_host_b(), spec)
                                             : test::build_packet(pair.sender, pair.receiver, spec);
    auto fresh = [&](auto&& modify) {
      const Processed enc = encap(*pair.outbound, inner);
      EXPECT_TRUE(enc.result.ok);
      Bytes t = enc.bytes;
      modify(t);
      return t;
    };
    auto expect_ok = [&](const Bytes& t, const char* what) {
      const Processed d = decap(*pair.inbound, t, 40);
      EXPECT_TRUE(d.result.ok) << what << ": " << drop_reason_name(d.result.drop);
      if (!d.result.ok) return;
      EXPECT_EQ(d.bytes.size(), inner.size()) << what;
      EXPECT_TRUE(std::equal(d.bytes.begin() + 40, d.bytes.end(), inner.begin() + 40)) << what;
      if (mode == Mode::Tunnel) {
        EXPECT_EQ(to_hex(d.bytes), to_hex(inner)) << what;
      }
    };
    expect_ok(fresh([](Bytes& t) { t[7] = 1; }), "hop limit");
    expect_ok(fresh([](Bytes& t) { t[0] ^= 0x0F; t[1] ^= 0xF0; }), "traffic class");
    expect_ok(fresh([](Bytes& t) { t[1] ^= 0x0F; t[2] ^= 0xFF; t[3] ^= 0xFF; }), "flow label");
    EXPECT_TRUE(dropped_as(*pair.inbound, fresh([](Bytes& t) { t[23] ^= 0x01; }), 40, DropReason::IcvFailure))
        << "source address";
    EXPECT_TRUE(dropped_as(*pair.inbound, fresh([](Bytes& t) { t[39] ^= 0x01; }), 40, DropReason::IcvFailure))
        << "destination address";
    EXPECT_TRUE(dropped_as(*pair.inbound, fresh([](Bytes& t) { t[40] ^= 0x01; }), 40, DropReason::IcvFailure))
        << "AH next header";
    EXPECT_TRUE(dropped_as(*pair.inbound, fresh([](Bytes& t) { t.back() ^= 0x01; }), 40, DropReason::IcvFailure))
        << "payload byte";
    Bytes version = fresh([](Bytes& t) { t[0] ^= 0x30; });
    EXPECT_FALSE(decap(*pair.inbound, version, 40).result.ok) << "version";
  }
}

// RFC 4302 §3.3.3.1.2.2: option data is zeroed for the ICV only when the option type's third
// highest bit (0x20, "may change en route") is set.
TEST_P(AhSuiteTest, Ipv6HopByHopOptionsChangeEnRouteBit) {
  const Suite s = suite();
  SaOptions o;
  o.mode = Mode::Transport;
  o.outer = V6;
  SaPair pair = test::make_sa_pair(s, o);
  PacketSpec spec;
  spec.payload_size = 17;
  spec.ipv6_extensions = {ipv6_test_hop_by_hop()};
  const Bytes inner = test::build_packet(pair.sender, pair.receiver, spec);
  ASSERT_EQ(inner[kMutableOptionDataAt - 2], 0x23);
  ASSERT_EQ(inner[kImmutableOptionDataAt - 2], 0x05);
  const std::size_t ah = 56;  // 40 + a 16-byte hop-by-hop header
  {
    const Processed enc = encap(*pair.outbound, inner);
    ASSERT_TRUE(check_ah_packet(pair, inner, enc, 1));
    ASSERT_EQ(enc.result.protocol_offset, ah);
    EXPECT_EQ(enc.bytes[40], kAh) << "hop-by-hop next header now names AH";
    Bytes t = enc.bytes;
    for (std::size_t i = 0; i < 4; ++i) t[kMutableOptionDataAt + i] = static_cast<std::uint8_t>(0x10 + i);
    Bytes expected = inner;
    for (std::size_t i = 0; i < 4; ++i) expected[kMutableOptionDataAt + i] = static_cast<std::uint8_t>(0x10 + i);
    EXPECT_TRUE(decaps_to(*pair.inbound, t, ah, expected)) << "change-en-route option data modified";
  }
  {
    Bytes t = encap(*pair.outbound, inner).bytes;
    t[kImmutableOptionDataAt + 1] ^= 0x01;
    EXPECT_TRUE(dropped_as(*pair.inbound, t, ah, DropReason::IcvFailure)) << "option without the bit modified";
  }
  {
    Bytes t = encap(*pair.outbound, inner).bytes;
    t[kMutableOptionDataAt - 2] ^= 0x01;  // the option type itself is always covered
    EXPECT_TRUE(dropped_as(*pair.inbound, t, ah, DropReason::IcvFailure)) << "option type modified";
  }
  // The same through a destination options header before AH.
  PacketSpec dspec = spec;
  dspec.ipv6_extensions = {test::ipv6_options_header(wire::ip_protocol::kDestinationOptions,
                                                     Bytes{0x23, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x02, 0x00, 0x00})};
  const Bytes dinner = test::build_packet(pair.sender, pair.receiver, dspec);
  {
    Bytes t = encap(*pair.outbound, dinner).bytes;
    t[kMutableOptionDataAt] ^= 0xFF;
    Bytes expected = dinner;
    expected[kMutableOptionDataAt] ^= 0xFF;
    EXPECT_TRUE(decaps_to(*pair.inbound, t, ah, expected)) << "destination option with the bit modified";
  }
  {
    Bytes t = encap(*pair.outbound, dinner).bytes;
    t[kImmutableOptionDataAt] ^= 0xFF;
    EXPECT_TRUE(dropped_as(*pair.inbound, t, ah, DropReason::IcvFailure)) << "destination option without the bit";
  }
}

// Flips every byte from the AH header on, ICV padding included: each is a counted drop and the
// window does not move. Outer header flips: a drop or a correct result.
void tamper_sweep(const Suite& s, const SaOptions& o, ByteView inner) {
  SaPair pair = test::make_sa_pair(s, o);
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  const std::size_t ah = enc.result.protocol_offset;
  const std::uint8_t masks[] = {0x01, 0x80, 0xFF};
  std::uint64_t flips = 0;
  for (std::size_t pos = ah; pos < enc.bytes.size(); ++pos) {
    for (std::uint8_t mask : masks) {
      Bytes t = enc.bytes;
      t[pos] ^= mask;
      const Processed d = decap(*pair.inbound, t, ah);
      ++flips;
      ASSERT_FALSE(d.result.ok) << "byte " << pos << " ^ " << int{mask} << " accepted";
      DropReason want = DropReason::IcvFailure;
      if (pos == ah + 1) {
        ASSERT_TRUE(d.result.drop == DropReason::Malformed || d.result.drop == DropReason::IcvFailure)
            << "payload length byte: " << drop_reason_name(d.result.drop);
        continue;
      }
      if (pos >= ah + 4 && pos < ah + 8) want = DropReason::UnknownSpi;
      if (pos >= ah + 8 && pos < ah + 12 && test::get32(t, ah + 8) == 0) want = DropReason::Malformed;
      ASSERT_EQ(d.result.drop, want) << "byte " << pos << " ^ " << int{mask} << ": " << drop_reason_name(d.result.drop);
    }
  }
  EXPECT_EQ(pair.inbound->drops().total(), flips);
  EXPECT_EQ(pair.inbound->replay_window().highest(), 0u);

  const bool tunnel = o.mode == Mode::Tunnel;
  for (std::size_t pos = 0; pos < ah; ++pos) {
    for (std::uint8_t mask : masks) {
      Bytes t = enc.bytes;
      t[pos] ^= mask;
      auto fresh = test::make_sa(s, o, Direction::Inbound);
      const Processed d = decap(*fresh, t, ah);
      if (!d.result.ok) {
        EXPECT_EQ(fresh->drops().total(), 1u);
        continue;
      }
      if (tunnel) {
        ASSERT_EQ(to_hex(d.bytes), to_hex(inner)) << "outer byte " << pos << " ^ " << int{mask};
      } else {
        ASSERT_EQ(d.bytes.size(), inner.size()) << "outer byte " << pos;
        ASSERT_TRUE(std::equal(d.bytes.begin() + static_cast<std::ptrdiff_t>(ah), d.bytes.end(),
                               inner.begin() + static_cast<std::ptrdiff_t>(ah)))
            << "outer byte " << pos;
      }
    }
  }
  EXPECT_TRUE(decaps_to(*pair.inbound, enc.bytes, ah, inner));
}

TEST_P(AhSuiteTest, TamperingAnyCoveredByteIsDetected) {
  const Suite s = suite();
  {
    SCOPED_TRACE("tunnel 4in4");
    tamper_sweep(s, SaOptions{}, v4_inner(9));
  }
  {
    SCOPED_TRACE("tunnel 4in6 esn");
    SaOptions o;
    o.outer = V6;
    o.esn = true;
    tamper_sweep(s, o, v4_inner(5));
  }
  {
    SCOPED_TRACE("transport v6 hop-by-hop");
    SaOptions o;
    o.mode = Mode::Transport;
    o.outer = V6;
    PacketSpec spec;
    spec.kind = L4::Icmp;
    spec.payload_size = 6;
    spec.ipv6_extensions = {ipv6_test_hop_by_hop()};
    tamper_sweep(s, o, test::build_packet(test::v6_sender(), test::v6_receiver(), spec));
  }
  {
    SCOPED_TRACE("transport v4 options");
    SaOptions o;
    o.mode = Mode::Transport;
    PacketSpec spec;
    spec.kind = L4::Tcp;
    spec.payload_size = 3;
    spec.ipv4_options = ipv4_test_options();
    tamper_sweep(s, o, test::build_packet(test::v4_sender(), test::v4_receiver(), spec));
  }
}

void truncation_sweep(const Suite& s, const SaOptions& o, ByteView inner) {
  SaPair pair = test::make_sa_pair(s, o);
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  const std::size_t ah = enc.result.protocol_offset;
  std::uint64_t drops = 0;
  for (std::size_t len = 0; len < enc.bytes.size(); ++len) {
    ASSERT_TRUE(dropped_as(*pair.inbound, ByteView(enc.bytes).first(len), ah, DropReason::Malformed)) << "len " << len;
    ++drops;
    Bytes t(enc.bytes.begin(), enc.bytes.begin() + static_cast<std::ptrdiff_t>(len));
    test::fix_ip_length(t);
    const Processed d = decap(*pair.inbound, t, ah);
    ++drops;
    ASSERT_FALSE(d.result.ok) << "len " << len;
    ASSERT_TRUE(d.result.drop == DropReason::Malformed || d.result.drop == DropReason::IcvFailure)
        << "len " << len << ": " << drop_reason_name(d.result.drop);
  }
  EXPECT_EQ(pair.inbound->drops().total(), drops);
  EXPECT_EQ(pair.inbound->replay_window().highest(), 0u);
  Bytes longer = enc.bytes;
  longer.insert(longer.end(), 9, 0x77);
  EXPECT_TRUE(decaps_to(*pair.inbound, longer, ah, inner)) << "bytes beyond the IP length are ignored";
  SaPair pair2 = test::make_sa_pair(s, o);
  Bytes extended = encap(*pair2.outbound, inner).bytes;
  extended.insert(extended.end(), 8, 0);
  test::fix_ip_length(extended);
  const Processed d = decap(*pair2.inbound, extended, ah);
  EXPECT_FALSE(d.result.ok) << "extra bytes inside the IP length must not authenticate";
}

TEST_P(AhSuiteTest, TruncationAtEveryLengthIsDropped) {
  const Suite s = suite();
  {
    SCOPED_TRACE("tunnel 4in4");
    truncation_sweep(s, SaOptions{}, v4_inner(11));
  }
  {
    SCOPED_TRACE("tunnel 6in6 esn");
    SaOptions o;
    o.outer = V6;
    o.esn = true;
    truncation_sweep(s, o, test::make_packet(test::v6_host_a(), test::v6_host_b(), L4::Udp, 10));
  }
  {
    SCOPED_TRACE("transport v4");
    SaOptions o;
    o.mode = Mode::Transport;
    truncation_sweep(s, o, test::make_packet(test::v4_sender(), test::v4_receiver(), L4::Icmp, 8));
  }
}

TEST_P(AhSuiteTest, ReplayDuplicateReorderFarBehindFarAheadAndIcvFailureKeepsWindow) {
  const Suite s = suite();
  SaOptions o;
  o.replay_window = 64;
  SaPair pair = test::make_sa_pair(s, o);
  std::vector<Bytes> inner;
  std::vector<Processed> sent;
  for (std::uint32_t i = 0; i < 200; ++i) {
    inner.push_back(v4_inner(i % 40, i));
    sent.push_back(encap(*pair.outbound, inner.back()));
    ASSERT_TRUE(sent.back().result.ok);
  }
  auto& in = *pair.inbound;
  EXPECT_TRUE(decaps_to(in, sent[0].bytes, 20, inner[0]));
  EXPECT_TRUE(dropped_as(in, sent[0].bytes, 20, DropReason::Replay));
  for (int i = 9; i >= 1; --i) EXPECT_TRUE(decaps_to(in, sent[i].bytes, 20, inner[i])) << "seq " << i + 1;
  // Forged far-ahead number with a bad ICV: window stays.
  Bytes forged = sent[10].bytes;
  test::set16(forged, 28, 0x7FFF);
  EXPECT_TRUE(dropped_as(in, forged, 20, DropReason::IcvFailure));
  EXPECT_EQ(in.replay_window().highest(), 10u);
  EXPECT_TRUE(decaps_to(in, sent[10].bytes, 20, inner[10]));
  EXPECT_TRUE(decaps_to(in, sent[199].bytes, 20, inner[199])) << "far ahead";
  EXPECT_TRUE(dropped_as(in, sent[50].bytes, 20, DropReason::TooOld)) << "far behind";
  EXPECT_TRUE(dropped_as(in, sent[135].bytes, 20, DropReason::TooOld)) << "just left of the window";
  EXPECT_TRUE(decaps_to(in, sent[136].bytes, 20, inner[136])) << "left edge of the window";
  EXPECT_TRUE(dropped_as(in, sent[136].bytes, 20, DropReason::Replay));
}

TEST_P(AhSuiteTest, SequenceNumberZeroIsNeverValid) {
  const Suite s = suite();
  for (bool esn : {false, true}) {
    SaOptions o;
    o.esn = esn;
    SaPair pair = test::make_sa_pair(s, o);
    const Bytes inner = v4_inner();
    const Crafted zero = craft_ah(pair, inner, 0);
    EXPECT_TRUE(dropped_as(*pair.inbound, zero.bytes, zero.offset, DropReason::Malformed));
    EXPECT_EQ(pair.inbound->replay_window().highest(), 0u);
    const Crafted one = craft_ah(pair, inner, 1);
    EXPECT_TRUE(decaps_to(*pair.inbound, one.bytes, one.offset, inner));
  }
}

TEST_P(AhSuiteTest, EsnWrapAndExhaustion) {
  const Suite s = suite();
  {
    SaOptions o;
    o.esn = true;
    SaPair pair = test::make_sa_pair(s, o);
    const Bytes inner = v4_inner();
    pair.outbound->advance_sequence_to(0xFFFFFFEF);
    const Processed a = encap(*pair.outbound, inner);  // 0xFFFFFFF0
    ASSERT_TRUE(decaps_to(*pair.inbound, a.bytes, 20, inner));
    pair.outbound->advance_sequence_to(0xFFFFFFFE);
    const Processed b = encap(*pair.outbound, inner);  // 0xFFFFFFFF
    const Processed c = encap(*pair.outbound, inner);  // 2^32: low 0, high 1
    ASSERT_TRUE(check_ah_packet(pair, inner, c, 0x1'0000'0000));
    EXPECT_EQ(test::get32(c.bytes, 28), 0u);
    EXPECT_TRUE(decaps_to(*pair.inbound, c.bytes, 20, inner));
    EXPECT_TRUE(decaps_to(*pair.inbound, b.bytes, 20, inner)) << "late packet from the old subspace";
    EXPECT_TRUE(dropped_as(*pair.inbound, c.bytes, 20, DropReason::Replay));
    EXPECT_EQ(pair.inbound->replay_window().highest(), 0x1'0000'0000u);
  }
  {
    SaPair pair = test::make_sa_pair(s);
    const Bytes inner = v4_inner();
    pair.outbound->advance_sequence_to(0xFFFFFFFE);
    const Processed last = encap(*pair.outbound, inner);
    ASSERT_TRUE(check_ah_packet(pair, inner, last, 0xFFFFFFFF));
    EXPECT_TRUE(decaps_to(*pair.inbound, last.bytes, 20, inner));
    const Processed refused = encap(*pair.outbound, inner);
    EXPECT_FALSE(refused.result.ok);
    EXPECT_EQ(refused.result.drop, DropReason::SequenceExhausted);
    EXPECT_EQ(refused.result.lifetime_event, LifetimeEvent::Expired);
    const Processed again = encap(*pair.outbound, inner);
    EXPECT_EQ(again.result.drop, DropReason::SequenceExhausted);
    EXPECT_EQ(again.result.lifetime_event, LifetimeEvent::None) << "Expired is reported once per SA";
    EXPECT_EQ(pair.outbound->drops()[DropReason::SequenceExhausted], 2u);
    EXPECT_FALSE(pair.outbound->usable());
  }
}

TEST_P(AhSuiteTest, LifetimesByPacketsBytesAndTime) {
  const Suite s = suite();
  const Bytes inner = v4_inner(50);
  const LifetimeEvent expected[] = {LifetimeEvent::None, LifetimeEvent::None, LifetimeEvent::Rekey, LifetimeEvent::None,
                                    LifetimeEvent::Expired};
  for (int kind = 0; kind < 2; ++kind) {
    SCOPED_TRACE(kind == 0 ? "packets" : "bytes");
    SaOptions o;
    if (kind == 0) {
      o.lifetime.soft_packets = 3;
      o.lifetime.hard_packets = 5;
    } else {
      o.lifetime.soft_bytes = 3 * inner.size();
      o.lifetime.hard_bytes = 5 * inner.size();
    }
    SaPair pair = test::make_sa_pair(s, o);
    std::vector<Processed> sent;
    for (LifetimeEvent e : expected) {
      sent.push_back(encap(*pair.outbound, inner));
      ASSERT_TRUE(sent.back().result.ok);
      EXPECT_EQ(sent.back().result.lifetime_event, e);
    }
    const Processed after = encap(*pair.outbound, inner);
    EXPECT_FALSE(after.result.ok);
    EXPECT_EQ(after.result.drop, DropReason::Expired);
    EXPECT_EQ(after.result.lifetime_event, LifetimeEvent::None);
    for (std::size_t i = 0; i < sent.size(); ++i) {
      const Processed d = decap(*pair.inbound, sent[i].bytes, 20);
      ASSERT_TRUE(d.result.ok);
      EXPECT_EQ(d.result.lifetime_event, expected[i]);
    }
    EXPECT_TRUE(dropped_as(*pair.inbound, sent[0].bytes, 20, DropReason::Expired));
  }
  {
    SCOPED_TRACE("time");
    SaOptions o;
    o.lifetime.soft_time = Seconds(30);
    o.lifetime.hard_time = Seconds(60);
    SaPair pair = test::make_sa_pair(s, o);
    EXPECT_EQ(encap(*pair.outbound, inner, kT0 + Seconds(1)).result.lifetime_event, LifetimeEvent::None);
    const Processed soft = encap(*pair.outbound, inner, kT0 + Seconds(30));
    EXPECT_TRUE(soft.result.ok);
    EXPECT_EQ(soft.result.lifetime_event, LifetimeEvent::Rekey);
    EXPECT_EQ(encap(*pair.outbound, inner, kT0 + Seconds(45)).result.lifetime_event, LifetimeEvent::None);
    const Processed hard = encap(*pair.outbound, inner, kT0 + Seconds(60));
    EXPECT_FALSE(hard.result.ok);
    EXPECT_EQ(hard.result.drop, DropReason::Expired);
    EXPECT_EQ(hard.result.lifetime_event, LifetimeEvent::Expired);
    const Processed later = encap(*pair.outbound, inner, kT0 + Seconds(61));
    EXPECT_FALSE(later.result.ok);
    EXPECT_EQ(later.result.lifetime_event, LifetimeEvent::None);
    const Processed in_soft = decap(*pair.inbound, soft.bytes, 20, kT0 + Seconds(30));
    EXPECT_TRUE(in_soft.result.ok);
    EXPECT_EQ(in_soft.result.lifetime_event, LifetimeEvent::Rekey);
    EXPECT_TRUE(dropped_as(*pair.inbound, soft.bytes, 20, DropReason::Expired, kT0 + Seconds(60)));
  }
}

TEST_P(AhSuiteTest, BufferTooSmallWritesNothingPastTheSpan) {
  const Suite s = suite();
  for (const PathConfig& path : {kPaths[1], kPaths[2], kPaths[4], kPaths[7]}) {
    SCOPED_TRACE(path.name);
    SaPair pair = test::make_sa_pair(s, options_for(path, false));
    const Bytes inner = test::inner_packet_for(pair, path.inner, spec_for(path, 33, 2));
    SaPair twin = test::make_sa_pair(s, options_for(path, false));
    const std::size_t needed = encap(*twin.outbound, inner).result.length;
    constexpr std::size_t kCanary = 64;
    for (std::size_t size = 0; size < needed; size += (size + 8 < needed ? 5 : 1)) {
      Bytes storage(size + kCanary, 0xA5);
      const PacketResult r = ah_encapsulate(*pair.outbound, inner, MutableByteView(storage.data(), size), kT0);
      ASSERT_FALSE(r.ok);
      ASSERT_EQ(r.drop, DropReason::BufferTooSmall);
      ASSERT_EQ(std::count(storage.begin() + static_cast<std::ptrdiff_t>(size), storage.end(), 0xA5),
                static_cast<std::ptrdiff_t>(kCanary))
          << "size " << size;
    }
    EXPECT_EQ(pair.outbound->last_sent_sequence(), 0u);
    Bytes storage(needed + kCanary, 0xA5);
    const PacketResult ok = ah_encapsulate(*pair.outbound, inner, MutableByteView(storage.data(), needed), kT0);
    ASSERT_TRUE(ok.ok);
    EXPECT_EQ(std::count(storage.begin() + static_cast<std::ptrdiff_t>(needed), storage.end(), 0xA5),
              static_cast<std::ptrdiff_t>(kCanary));
    const ByteView packet = ByteView(storage).first(needed);
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, inner.size() / 2, inner.size() - 1}) {
      Bytes out(size + kCanary, 0x5A);
      const PacketResult r =
          ah_decapsulate(*pair.inbound, packet, ok.protocol_offset, MutableByteView(out.data(), size), kT0);
      ASSERT_FALSE(r.ok) << "size " << size;
      EXPECT_EQ(r.drop, DropReason::BufferTooSmall);
      EXPECT_EQ(std::count(out.begin() + static_cast<std::ptrdiff_t>(size), out.end(), 0x5A),
                static_cast<std::ptrdiff_t>(kCanary))
          << "size " << size;
    }
    EXPECT_EQ(pair.inbound->drops()[DropReason::BufferTooSmall], 4u);
    EXPECT_EQ(pair.inbound->replay_window().highest(), 0u) << "an undelivered packet used up its number";
    Bytes out(inner.size() + kCanary, 0x5A);
    const PacketResult r =
        ah_decapsulate(*pair.inbound, packet, ok.protocol_offset, MutableByteView(out.data(), inner.size()), kT0);
    ASSERT_TRUE(r.ok) << drop_reason_name(r.drop);
    EXPECT_TRUE(std::equal(inner.begin(), inner.end(), out.begin()));
    EXPECT_EQ(std::count(out.begin() + static_cast<std::ptrdiff_t>(inner.size()), out.end(), 0x5A),
              static_cast<std::ptrdiff_t>(kCanary));
  }
}

TEST_P(AhSuiteTest, MalformedInnerRefusedWithoutUsingASequenceNumber) {
  const Suite s = suite();
  SaPair pair = test::make_sa_pair(s);
  Bytes bad = v4_inner();
  bad[0] = 0x65;  // claims IPv6, too short for it
  EXPECT_EQ(encap(*pair.outbound, bad).result.drop, DropReason::Malformed);
  EXPECT_EQ(encap(*pair.outbound, Bytes{}).result.drop, DropReason::Malformed);
  SaOptions o;
  o.mode = Mode::Transport;
  SaPair transport = test::make_sa_pair(s, o);
  const Bytes v6 = test::make_packet(test::v6_sender(), test::v6_receiver(), L4::Udp, 4);
  EXPECT_EQ(encap(*transport.outbound, v6).result.drop, DropReason::Malformed) << "family mismatch in transport mode";
  EXPECT_EQ(pair.outbound->last_sent_sequence(), 0u);
  EXPECT_EQ(transport.outbound->last_sent_sequence(), 0u);
}

// Regression (found by this file, fixed in c46329b): ah_decapsulate marked the sequence number as
// received before checking that the caller's output buffer could hold the result, so a packet
// dropped as BufferTooSmall (a local problem, not the sender's) used up its number and a retry
// was dropped as Replay. ESP checks the buffer first; AH must too.
TEST_P(AhSuiteTest, DecapsulateBufferTooSmallLeavesSequenceNumberUnused) {
  const Suite s = suite();
  SaPair pair = test::make_sa_pair(s);
  const Bytes inner = v4_inner(40);
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  Bytes small(inner.size() - 1);
  const PacketResult r = ah_decapsulate(*pair.inbound, enc.bytes, 20, small, kT0);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.drop, DropReason::BufferTooSmall);
  EXPECT_EQ(pair.inbound->replay_window().highest(), 0u) << "a packet that was not delivered used up its number";
  EXPECT_TRUE(decaps_to(*pair.inbound, enc.bytes, 20, inner)) << "retry with a large enough buffer";
}

class AhPaddedSuiteTest : public AhSuiteTest {};

// Over IPv6 these need 4 bytes of ICV padding (HMAC-SHA1-96 needs none).
INSTANTIATE_TEST_SUITE_P(AhPaddedSuites, AhPaddedSuiteTest, ::testing::Values("sha256", "sha384", "sha512"), param_name);

// Regression (found by this file, fixed in c46329b): the ICV was computed with zeros standing in
// for the whole ICV field including its padding. RFC 4302 §3.3.3.2.1: the padding bytes "are
// included in the ICV calculation" and their content is "arbitrarily selected by the sender";
// §3.4.4: replace the ICV with zero "but not any ICV field padding". So (a) a peer's non-zero
// padding must verify and (b) padding modified in transit must not.
TEST_P(AhPaddedSuiteTest, IcvPaddingIsCoveredByTheIcv) {
  const Suite s = suite();
  const std::size_t icv = crypto::integrity_icv_length(*s.integrity);
  const std::size_t pad = ah_length(s, V6) - 12 - icv;
  ASSERT_EQ(pad, 4u);
  SaOptions o;
  o.outer = V6;
  SaPair pair = test::make_sa_pair(s, o);
  const Bytes inner = test::make_packet(test::v6_host_a(), test::v6_host_b(), L4::Udp, 20);
  // (a) A peer choosing non-zero padding, with the ICV computed over it per the RFC.
  const Crafted peer = craft_ah(pair, inner, 1, Bytes(pad, 0xA7));
  EXPECT_TRUE(decaps_to(*pair.inbound, peer.bytes, peer.offset, inner))
      << "non-zero ICV padding from a peer rejected";
  // (b) Padding modified in transit.
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  Bytes t = enc.bytes;
  t[enc.result.protocol_offset + 12 + icv] ^= 0x01;
  const Processed d = decap(*pair.inbound, t, enc.result.protocol_offset);
  EXPECT_FALSE(d.result.ok) << "modified ICV padding accepted";
}

}  // namespace
}  // namespace cygnet::ipsec
