// ESP packet path (RFC 4303): round trips for every suite, mode and address family, the wire
// format checked against an independent builder (test_packets.hpp), anti-replay through the
// packet path, tampering and truncation sweeps, bad-input catalog rows 17 and 18, lifetimes and
// output-buffer bounds.
#include "ipsec/esp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/aead.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "ipsec/drop_reason.hpp"
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

const std::vector<std::string> kEspSuites = {
    "aes128gcm16",   "aes192gcm16",   "aes256gcm16",   "aes128gcm8",  "aes256gcm12", "chacha20poly1305",
    "aes128-sha256", "aes192-sha384", "aes256-sha512", "aes128-sha1", "3des-sha256", "null-sha256",
};

using test::param_name;

Processed encap(SecurityAssociation& sa, ByteView packet, TimePoint now = kT0) {
  return test::run_into_buffer(packet, [&](MutableByteView out) { return esp_encapsulate(sa, packet, out, now); });
}

Processed decap(SecurityAssociation& sa, ByteView packet, std::size_t offset, TimePoint now = kT0) {
  return test::decapsulate_with(esp_decapsulate, sa, packet, offset, now);
}

// Decapsulates and expects a drop for `want`, counted exactly once.
::testing::AssertionResult dropped_as(SecurityAssociation& sa, ByteView packet, std::size_t offset, DropReason want,
                                      TimePoint now = kT0) {
  return test::dropped_as_with(esp_decapsulate, sa, packet, offset, want, now);
}

// Decapsulates and expects exactly `inner` back.
::testing::AssertionResult decaps_to(SecurityAssociation& sa, ByteView packet, std::size_t offset, ByteView expected,
                                     TimePoint now = kT0) {
  return test::decaps_to_with(esp_decapsulate, sa, packet, offset, expected, now);
}

// ------------------------------------------------------------------ paths

struct PathConfig {
  const char* name;
  Mode mode;
  IpFamily outer;
  IpFamily inner;
  bool header_extras;  // transport: IPv4 options / an IPv6 hop-by-hop header in the original packet
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

PacketSpec spec_for(const PathConfig& path, std::size_t size, std::uint32_t seed) {
  PacketSpec s;
  s.kind = static_cast<L4>(seed % 3);
  s.payload_size = size;
  s.seed = seed;
  s.ds = static_cast<std::uint8_t>(seed * 37 + 4);
  s.flow_label = (seed * 7919u) & 0xFFFFFu;
  if (path.header_extras) {
    if (path.inner == V4) {
      s.ipv4_options = {0x94, 0x04, 0x00, 0x00};  // router alert
    } else {
      s.ipv6_extensions = {test::ipv6_options_header(wire::ip_protocol::kHopByHop, Bytes{0x05, 0x02, 0x00, 0x00})};
    }
  }
  return s;
}

SaOptions options_for(const PathConfig& path, bool esn, bool udp) {
  SaOptions o;
  o.mode = path.mode;
  o.outer = path.outer;
  o.esn = esn;
  o.udp = udp;
  return o;
}

std::string describe(const PathConfig& path, bool esn, bool udp) {
  return std::string(path.name) + (esn ? " esn" : "") + (udp ? " udp" : "");
}

// ------------------------------------------------------------------ checks of what went on the wire

// Checks everything about an encapsulated packet that does not need the keys: outer header,
// UDP header, ESP header, sizes and alignment.
::testing::AssertionResult check_esp_packet(const SaPair& pair, ByteView inner, const Processed& enc,
                                            std::uint64_t expected_seq) {
  auto fail = [] { return ::testing::AssertionFailure(); };
  if (!enc.result.ok) return fail() << "encapsulation dropped: " << drop_reason_name(enc.result.drop);
  const ByteView p = enc.bytes;
  if (p.size() != enc.result.length) return fail() << "length mismatch";
  const bool tunnel = pair.options.mode == Mode::Tunnel;
  const bool udp = pair.options.udp;
  const std::uint8_t proto = udp ? wire::ip_protocol::kUdp : wire::ip_protocol::kEsp;
  std::size_t ip_header = 0;
  std::size_t payload_size = inner.size();
  if (tunnel) {
    if (pair.options.outer == V4) {
      ip_header = 20;
      if (p.size() < 20 || p[0] != 0x45) return fail() << "outer IPv4 version/IHL";
      if (test::get16(p, 2) != p.size()) return fail() << "outer IPv4 total length " << test::get16(p, 2);
      if (test::inet_checksum({p.first(20)}) != 0) return fail() << "outer IPv4 checksum invalid";
      if (p[9] != proto) return fail() << "outer protocol " << int{p[9]};
      if (p[8] == 0) return fail() << "outer TTL 0";
      if ((p[6] & 0x3F) != 0 || p[7] != 0) return fail() << "outer header claims to be a fragment";
    } else {
      ip_header = 40;
      if (p.size() < 40 || (p[0] >> 4) != 6) return fail() << "outer IPv6 version";
      if (test::get16(p, 4) != p.size() - 40) return fail() << "outer IPv6 payload length";
      if (p[6] != proto) return fail() << "outer next header " << int{p[6]};
      if (p[7] == 0) return fail() << "outer hop limit 0";
    }
    const std::size_t alen = pair.sender.is_v4() ? 4 : 16;
    const std::size_t src_at = pair.sender.is_v4() ? 12 : 8;
    if (!std::equal(pair.sender.bytes().begin(), pair.sender.bytes().end(), p.begin() + static_cast<std::ptrdiff_t>(src_at)))
      return fail() << "outer source address";
    if (!std::equal(pair.receiver.bytes().begin(), pair.receiver.bytes().end(),
                    p.begin() + static_cast<std::ptrdiff_t>(src_at + alen)))
      return fail() << "outer destination address";
    if ((test::ds_field(p) & 0xFC) != (test::ds_field(inner) & 0xFC)) {
      return fail() << "outer DSCP " << int{test::ds_field(p)} << " not copied from inner " << int{test::ds_field(inner)};
    }
  } else {
    auto info = wire::parse_ip_packet(inner);
    if (!info) return fail() << "test packet unparsable";
    ip_header = info->header_length;
    payload_size = inner.size() - ip_header;
    Bytes expect(inner.begin(), inner.begin() + static_cast<std::ptrdiff_t>(ip_header));
    expect[info->next_header_offset] = proto;
    if (info->family == V4) {
      test::set16(expect, 2, static_cast<std::uint16_t>(p.size()));
      test::fix_ipv4_checksum(expect);
      if (test::inet_checksum({p.first(ip_header)}) != 0) return fail() << "transport IPv4 checksum invalid";
    } else {
      test::set16(expect, 4, static_cast<std::uint16_t>(p.size() - 40));
    }
    if (p.size() < ip_header || !std::equal(expect.begin(), expect.end(), p.begin())) {
      return fail() << "transport header not preserved:\n  got  " << to_hex(p.first(std::min(p.size(), ip_header)))
                    << "\n  want " << to_hex(expect);
    }
  }
  std::size_t esp = ip_header;
  if (udp) {
    if (p.size() < ip_header + 8) return fail() << "no room for UDP";
    if (test::get16(p, ip_header) != pair.options.sender_port) return fail() << "UDP source port";
    if (test::get16(p, ip_header + 2) != pair.options.receiver_port) return fail() << "UDP destination port";
    if (test::get16(p, ip_header + 4) != p.size() - ip_header) return fail() << "UDP length";
    const std::uint16_t checksum = test::get16(p, ip_header + 6);
    if (pair.sender.is_v4()) {
      if (checksum != 0) return fail() << "UDP checksum over IPv4 should be 0 (RFC 3948 §2.1)";
    } else {
      if (checksum == 0) return fail() << "UDP checksum over IPv6 must not be 0 (RFC 8200 §8.1)";
      ByteView dgram = p.subspan(ip_header);
      if (test::inet_checksum({test::pseudo_header(pair.sender, pair.receiver, 17, dgram.size()), dgram}) != 0) {
        return fail() << "UDP checksum over IPv6 does not verify";
      }
    }
    esp += 8;
  }
  if (enc.result.protocol_offset != esp) {
    return fail() << "protocol_offset " << enc.result.protocol_offset << ", expected " << esp;
  }
  const Suite& s = pair.suite;
  const std::size_t iv = test::esp_iv_length(s), icv = test::esp_icv_length(s), align = test::esp_alignment(s);
  if (p.size() < esp + 8 + iv + 2 + icv) return fail() << "ESP too short";
  if (test::get32(p, esp) != pair.options.spi) return fail() << "SPI at protocol_offset";
  if (test::get32(p, esp + 4) != static_cast<std::uint32_t>(expected_seq)) {
    return fail() << "sequence " << test::get32(p, esp + 4) << ", expected low half of " << expected_seq;
  }
  const std::size_t cipher = p.size() - esp - 8 - iv - icv;
  if (cipher % align != 0) return fail() << "ciphertext length " << cipher << " not a multiple of " << align;
  if (cipher < payload_size + 2) return fail() << "ciphertext shorter than payload + trailer";
  const std::size_t pad = cipher - payload_size - 2;
  if (pad >= align) return fail() << "more padding than alignment needs: " << pad;
  return ::testing::AssertionSuccess();
}

// Authenticates and decrypts an ESP portion (header .. ICV) with the pair's keys, written from
// RFC 4303 §2/§3.4, RFC 4106 §5 and RFC 7634 §2.1 rather than from src/. nullopt if it fails.
std::optional<Bytes> independent_open(const SaPair& pair, std::uint64_t seq, ByteView esp) {
  const Suite& s = pair.suite;
  const std::size_t iv_len = test::esp_iv_length(s), icv_len = test::esp_icv_length(s);
  if (esp.size() < 8 + iv_len + icv_len) return std::nullopt;
  const ByteView iv = esp.subspan(8, iv_len);
  const ByteView ciphertext = esp.subspan(8 + iv_len, esp.size() - 8 - iv_len - icv_len);
  const ByteView icv = esp.last(icv_len);
  Bytes plain(ciphertext.size());
  Bytes high;
  if (pair.options.esn) test::put32(high, static_cast<std::uint32_t>(seq >> 32));
  if (test::is_aead(s)) {
    const std::size_t key_len = crypto::aead_key_length(s.encryption.aead);
    crypto::Aead aead(s.encryption.aead, ByteView(pair.encryption_key).first(key_len), s.encryption.aead_icv_length,
                      crypto::AeadUse::Open);
    Bytes nonce = test::concat({ByteView(pair.encryption_key).subspan(key_len, 4), iv});
    Bytes aad = test::concat({esp.first(4), high, esp.subspan(4, 4)});
    if (!aead.open(nonce, aad, ciphertext, icv, plain)) return std::nullopt;
    return plain;
  }
  crypto::Hmac hmac(crypto::integrity_hash(*s.integrity), pair.integrity_key);
  if (!hmac.verify({esp.first(esp.size() - icv_len), high}, icv)) return std::nullopt;
  if (test::is_cbc(s)) {
    crypto::CbcCipher cbc(s.encryption.cbc, pair.encryption_key);
    if (!cbc.decrypt(iv, ciphertext, plain)) return std::nullopt;
    return plain;
  }
  return Bytes(ciphertext.begin(), ciphertext.end());
}

// A packet from the independent builder and the offset of its ESP header.
struct Crafted {
  Bytes bytes;
  std::size_t offset = 0;
};

Crafted craft(const SaPair& pair, std::uint64_t seq, ByteView plaintext, ByteView transport_header = {},
              std::size_t next_header_offset = 0) {
  Crafted c;
  c.bytes = test::craft_esp(pair, seq, plaintext, &c.offset, std::nullopt, transport_header, next_header_offset);
  return c;
}

// An authentic ESP packet carrying `inner` built by the independent builder, as the pair's
// outbound SA would have sent it (tunnel: the whole packet; transport: its upper layer).
Crafted craft_inner(const SaPair& pair, ByteView inner, std::uint64_t seq, std::size_t extra_pad = 0,
                    ByteView tfc_padding = {}) {
  const std::size_t align = test::esp_alignment(pair.suite);
  if (pair.options.mode == Mode::Tunnel) {
    const std::uint8_t nh = (inner[0] >> 4) == 4 ? wire::ip_protocol::kIpv4 : wire::ip_protocol::kIpv6;
    return craft(pair, seq, test::esp_plaintext(test::concat({inner, tfc_padding}), nh, align, extra_pad));
  }
  auto info = wire::parse_ip_packet(inner);
  const ByteView upper = inner.subspan(info->header_length);
  return craft(pair, seq, test::esp_plaintext(upper, info->protocol, align, extra_pad), inner.first(info->header_length),
               info->next_header_offset);
}

Bytes v4_inner(std::size_t size = 24, std::uint32_t seed = 3) {
  return test::make_packet(test::v4_host_a(), test::v4_host_b(), L4::Udp, size, seed);
}

// ------------------------------------------------------------------ per-suite tests

class EspSuiteTest : public ::testing::TestWithParam<std::string> {
 protected:
  Suite suite() const { return test::esp_suite(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(EspSuites, EspSuiteTest, ::testing::ValuesIn(kEspSuites), param_name);

TEST_P(EspSuiteTest, RoundTripEveryPathSizeEsnAndUdp) {
  const Suite s = suite();
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i <= 64; ++i) sizes.push_back(i);
  sizes.push_back(1400);
  for (const PathConfig& path : kPaths) {
    for (bool esn : {false, true}) {
      for (bool udp : {false, true}) {
        SCOPED_TRACE(describe(path, esn, udp));
        SaPair pair = test::make_sa_pair(s, options_for(path, esn, udp));
        std::uint64_t first = 1;
        if (esn) {
          // Start just below 2^33 so the run crosses an ESN subspace boundary.
          constexpr std::uint64_t kStart = 0x1'FFFF'FFE0;
          pair.outbound->advance_sequence_to(kStart);
          pair.inbound->replay_window().accept(kStart);
          first = kStart + 1;
        }
        std::uint32_t n = 0;
        std::uint64_t bytes = 0;
        for (std::size_t size : sizes) {
          const Bytes inner = test::inner_packet_for(pair, path.inner, spec_for(path, size, n));
          const Processed enc = encap(*pair.outbound, inner);
          ASSERT_TRUE(check_esp_packet(pair, inner, enc, first + n)) << "payload size " << size;
          EXPECT_EQ(enc.result.lifetime_event, LifetimeEvent::None);
          ASSERT_TRUE(decaps_to(*pair.inbound, enc.bytes, enc.result.protocol_offset, inner)) << "payload size " << size;
          bytes += path.mode == Mode::Tunnel ? inner.size() : inner.size() - wire::parse_ip_packet(inner)->header_length;
          ++n;
        }
        EXPECT_EQ(pair.outbound->traffic().packets, n);
        EXPECT_EQ(pair.outbound->traffic().bytes, bytes);
        EXPECT_EQ(pair.inbound->traffic().packets, n);
        EXPECT_EQ(pair.inbound->traffic().bytes, bytes);
        EXPECT_EQ(pair.outbound->drops().total(), 0u);
        EXPECT_EQ(pair.inbound->drops().total(), 0u);
        EXPECT_EQ(pair.outbound->last_sent_sequence(), first + n - 1);
        EXPECT_EQ(pair.inbound->replay_window().highest(), first + n - 1);
      }
    }
  }
}

// What goes on the wire authenticates and decrypts with code written from the RFCs, and carries
// the RFC 4303 §2.4 trailer (padding 1, 2, 3, ..., minimal pad length, next header).
TEST_P(EspSuiteTest, WireFormatVerifiesIndependently) {
  const Suite s = suite();
  for (bool esn : {false, true}) {
    for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
      SCOPED_TRACE(std::string(esn ? "esn " : "") + mode_name(mode));
      SaOptions o;
      o.esn = esn;
      o.mode = mode;
      SaPair pair = test::make_sa_pair(s, o);
      const std::uint64_t start = esn ? 0x7'0000'0000 - 3 : 0;
      pair.outbound->advance_sequence_to(start);
      std::set<Bytes> ivs;
      const std::size_t sizes[] = {0, 1, 2, 3, 13, 100, 255};
      std::uint64_t seq = start;
      for (std::size_t size : sizes) {
        const Bytes inner = mode == Mode::Tunnel ? v4_inner(size, static_cast<std::uint32_t>(size))
                                                 : test::make_packet(pair.sender, pair.receiver, L4::Tcp, size);
        const Processed enc = encap(*pair.outbound, inner);
        ++seq;
        ASSERT_TRUE(check_esp_packet(pair, inner, enc, seq));
        const ByteView esp = ByteView(enc.bytes).subspan(enc.result.protocol_offset);
        ivs.insert(Bytes(esp.begin() + 8, esp.begin() + 8 + static_cast<std::ptrdiff_t>(test::esp_iv_length(s))));
        std::optional<Bytes> plain = independent_open(pair, seq, esp);
        ASSERT_TRUE(plain.has_value()) << "ICV does not verify independently (seq " << seq << ")";
        Bytes expected;
        if (mode == Mode::Tunnel) {
          expected = test::esp_plaintext(inner, wire::ip_protocol::kIpv4, test::esp_alignment(s));
        } else {
          expected = test::esp_plaintext(ByteView(inner).subspan(20), wire::ip_protocol::kTcp, test::esp_alignment(s));
        }
        EXPECT_EQ(to_hex(*plain), to_hex(expected)) << "size " << size;
      }
      if (test::esp_iv_length(s) != 0) {
        EXPECT_EQ(ivs.size(), std::size(sizes)) << "IVs repeat within one SA";
      }
    }
  }
}

// The reverse: packets built by the independent builder decapsulate.
TEST_P(EspSuiteTest, AcceptsPacketsBuiltIndependently) {
  const Suite s = suite();
  for (const PathConfig& path : kPaths) {
    for (bool esn : {false, true}) {
      for (bool udp : {false, true}) {
        SCOPED_TRACE(describe(path, esn, udp));
        SaPair pair = test::make_sa_pair(s, options_for(path, esn, udp));
        const std::uint64_t base = esn ? 0x3'0000'0000 : 0;
        if (esn) pair.inbound->replay_window().accept(base);
        for (std::uint32_t k = 1; k <= 3; ++k) {
          const Bytes inner = test::inner_packet_for(pair, path.inner, spec_for(path, 10 * k, k));
          const Crafted c = craft_inner(pair, inner, base + k);
          ASSERT_TRUE(decaps_to(*pair.inbound, c.bytes, c.offset, inner)) << "k=" << k;
        }
      }
    }
  }
}

TEST_P(EspSuiteTest, WrongKeyIsIcvFailureAndWrongSpiIsUnknownSpi) {
  const Suite s = suite();
  SaPair pair = test::make_sa_pair(s);
  const Bytes inner = v4_inner();
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);

  SaOptions other_key;
  other_key.key_seed = 9;
  auto wrong_key = test::make_sa(s, other_key, Direction::Inbound);
  EXPECT_TRUE(dropped_as(*wrong_key, enc.bytes, enc.result.protocol_offset, DropReason::IcvFailure));
  EXPECT_EQ(wrong_key->replay_window().highest(), 0u);

  SaOptions other_spi;
  other_spi.spi = pair.options.spi + 1;
  auto wrong_spi = test::make_sa(s, other_spi, Direction::Inbound);
  EXPECT_TRUE(dropped_as(*wrong_spi, enc.bytes, enc.result.protocol_offset, DropReason::UnknownSpi));

  EXPECT_TRUE(decaps_to(*pair.inbound, enc.bytes, enc.result.protocol_offset, inner));
}

// Flips every byte from the ESP header on: each is a counted drop for the right reason, and the
// window does not move. Flips in the outer headers (IP, UDP) are a drop or a correct decapsulation.
void tamper_sweep(const Suite& s, const SaOptions& o, ByteView inner) {
  SaPair pair = test::make_sa_pair(s, o);
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  const std::size_t esp = enc.result.protocol_offset;
  const std::size_t n = enc.bytes.size();
  const std::uint8_t masks[] = {0x01, 0x80, 0xFF};

  std::uint64_t flips = 0;
  for (std::size_t pos = esp; pos < n; ++pos) {
    for (std::uint8_t mask : masks) {
      Bytes t = enc.bytes;
      t[pos] ^= mask;
      DropReason want = DropReason::IcvFailure;
      if (pos < esp + 4) {
        want = DropReason::UnknownSpi;
      } else if (pos < esp + 8 && test::get32(t, esp + 4) == 0) {
        want = DropReason::Malformed;  // sequence number 0 is never valid
      }
      ASSERT_TRUE(dropped_as(*pair.inbound, t, esp, want)) << "byte " << pos << " ^ " << int{mask};
      ++flips;
    }
  }
  EXPECT_EQ(pair.inbound->drops().total(), flips);
  EXPECT_EQ(pair.inbound->replay_window().highest(), 0u) << "a forged packet moved the window";
  EXPECT_EQ(pair.inbound->traffic().packets, 0u);

  const bool tunnel = o.mode == Mode::Tunnel;
  const std::size_t inner_header = tunnel ? 0 : wire::parse_ip_packet(inner)->header_length;
  for (std::size_t pos = 0; pos < esp; ++pos) {
    for (std::uint8_t mask : masks) {
      Bytes t = enc.bytes;
      t[pos] ^= mask;
      auto fresh = test::make_sa(s, o, Direction::Inbound);
      const Processed d = decap(*fresh, t, esp);
      if (!d.result.ok) {
        EXPECT_EQ(fresh->drops().total(), 1u) << "byte " << pos;
        continue;
      }
      if (tunnel) {
        ASSERT_EQ(to_hex(d.bytes), to_hex(inner)) << "outer byte " << pos << " ^ " << int{mask};
      } else {
        // Transport: the header comes from the (modified) received packet; the payload must not.
        ASSERT_EQ(d.bytes.size(), inner.size()) << "outer byte " << pos;
        ASSERT_TRUE(std::equal(d.bytes.begin() + static_cast<std::ptrdiff_t>(inner_header), d.bytes.end(),
                               inner.begin() + static_cast<std::ptrdiff_t>(inner_header)))
            << "outer byte " << pos;
      }
    }
  }
  EXPECT_TRUE(decaps_to(*pair.inbound, enc.bytes, esp, inner));
}

TEST_P(EspSuiteTest, TamperingAnyByteIsDetected) {
  const Suite s = suite();
  {
    SCOPED_TRACE("tunnel v4");
    tamper_sweep(s, SaOptions{}, v4_inner(9));
  }
  {
    SCOPED_TRACE("transport v6 udp esn");
    SaOptions o;
    o.mode = Mode::Transport;
    o.outer = V6;
    o.udp = true;
    o.esn = true;
    tamper_sweep(s, o, test::make_packet(test::v6_sender(), test::v6_receiver(), L4::Icmp, 5));
  }
  {
    SCOPED_TRACE("tunnel 6in4 udp");
    SaOptions o;
    o.udp = true;
    tamper_sweep(s, o, test::make_packet(test::v6_host_a(), test::v6_host_b(), L4::Tcp, 3));
  }
}

// Cutting the packet anywhere is a counted drop, never a crash, and moves nothing.
void truncation_sweep(const Suite& s, const SaOptions& o, ByteView inner) {
  SaPair pair = test::make_sa_pair(s, o);
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  const std::size_t esp = enc.result.protocol_offset;
  std::uint64_t drops = 0;
  for (std::size_t len = 0; len < enc.bytes.size(); ++len) {
    // As received: the IP length field still claims the whole packet.
    ASSERT_TRUE(dropped_as(*pair.inbound, ByteView(enc.bytes).first(len), esp, DropReason::Malformed)) << "len " << len;
    ++drops;
    // With the IP length rewritten to match, so the ESP code itself sees a short packet.
    Bytes t(enc.bytes.begin(), enc.bytes.begin() + static_cast<std::ptrdiff_t>(len));
    test::fix_ip_length(t);
    const Processed d = decap(*pair.inbound, t, esp);
    ASSERT_FALSE(d.result.ok) << "len " << len;
    ASSERT_TRUE(d.result.drop == DropReason::Malformed || d.result.drop == DropReason::IcvFailure)
        << "len " << len << ": " << drop_reason_name(d.result.drop);
    ++drops;
  }
  EXPECT_EQ(pair.inbound->drops().total(), drops);
  EXPECT_EQ(pair.inbound->replay_window().highest(), 0u);
  // Bytes beyond the IP length are not part of the packet.
  Bytes longer = enc.bytes;
  longer.insert(longer.end(), 13, 0x5A);
  EXPECT_TRUE(decaps_to(*pair.inbound, longer, esp, inner));
  // A packet made longer, with the IP length claiming the extra bytes, does not authenticate.
  SaPair pair2 = test::make_sa_pair(s, o);
  const Processed enc2 = encap(*pair2.outbound, inner);
  Bytes extended = enc2.bytes;
  extended.insert(extended.end(), test::esp_alignment(s), 0);
  test::fix_ip_length(extended);
  EXPECT_TRUE(dropped_as(*pair2.inbound, extended, esp, DropReason::IcvFailure));
}

TEST_P(EspSuiteTest, TruncationAtEveryLengthIsDropped) {
  const Suite s = suite();
  {
    SCOPED_TRACE("tunnel v4");
    truncation_sweep(s, SaOptions{}, v4_inner(11));
  }
  {
    SCOPED_TRACE("tunnel 4in6 udp esn");
    SaOptions o;
    o.outer = V6;
    o.udp = true;
    o.esn = true;
    truncation_sweep(s, o, v4_inner(40));
  }
  {
    SCOPED_TRACE("transport v4");
    SaOptions o;
    o.mode = Mode::Transport;
    truncation_sweep(s, o, test::make_packet(test::v4_sender(), test::v4_receiver(), L4::Udp, 7));
  }
}

// ------------------------------------------------------------------ anti-replay via the packet path

TEST_P(EspSuiteTest, ReplayDuplicateReorderFarBehindFarAhead) {
  const Suite s = suite();
  SaOptions o;
  o.replay_window = 64;
  SaPair pair = test::make_sa_pair(s, o);
  std::vector<Bytes> inner;
  std::vector<Processed> sent;
  for (std::uint32_t i = 0; i < 200; ++i) {
    inner.push_back(v4_inner(i % 50, i));
    sent.push_back(encap(*pair.outbound, inner.back()));
    ASSERT_TRUE(sent.back().result.ok);
  }
  auto& in = *pair.inbound;
  const std::size_t off = 20;
  // sent[i] carries sequence number i + 1.
  EXPECT_TRUE(decaps_to(in, sent[0].bytes, off, inner[0]));
  EXPECT_TRUE(dropped_as(in, sent[0].bytes, off, DropReason::Replay)) << "duplicate";
  // Reordering inside the window: 10 down to 2.
  for (int i = 9; i >= 1; --i) EXPECT_TRUE(decaps_to(in, sent[i].bytes, off, inner[i])) << "seq " << i + 1;
  EXPECT_TRUE(dropped_as(in, sent[4].bytes, off, DropReason::Replay));
  // Far ahead: 200 is accepted; the window now covers 137..200.
  EXPECT_TRUE(decaps_to(in, sent[199].bytes, off, inner[199]));
  EXPECT_EQ(in.replay_window().highest(), 200u);
  EXPECT_TRUE(dropped_as(in, sent[99].bytes, off, DropReason::TooOld)) << "seq 100 is far behind";
  EXPECT_TRUE(dropped_as(in, sent[135].bytes, off, DropReason::TooOld)) << "seq 136 is just left of the window";
  EXPECT_TRUE(decaps_to(in, sent[136].bytes, off, inner[136])) << "seq 137 is the window's left edge";
  EXPECT_TRUE(decaps_to(in, sent[150].bytes, off, inner[150]));
  EXPECT_TRUE(dropped_as(in, sent[150].bytes, off, DropReason::Replay));
  EXPECT_TRUE(dropped_as(in, sent[199].bytes, off, DropReason::Replay));
  EXPECT_EQ(in.drops()[DropReason::Replay], 4u);
  EXPECT_EQ(in.drops()[DropReason::TooOld], 2u);
}

// RFC 4303 §3.4.3: the window moves only for packets whose ICV verified.
TEST_P(EspSuiteTest, ForgedHighSequenceNumberDoesNotMoveWindow) {
  const Suite s = suite();
  for (bool esn : {false, true}) {
    SCOPED_TRACE(esn ? "esn" : "no esn");
    SaOptions o;
    o.esn = esn;
    SaPair pair = test::make_sa_pair(s, o);
    std::vector<Bytes> inner;
    std::vector<Processed> sent;
    for (std::uint32_t i = 0; i < 5; ++i) {
      inner.push_back(v4_inner(20 + i, i));
      sent.push_back(encap(*pair.outbound, inner.back()));
    }
    auto& in = *pair.inbound;
    ASSERT_TRUE(decaps_to(in, sent[0].bytes, 20, inner[0]));
    for (std::uint32_t forged_seq : {0x7FFFFFFFu, 0xFFFFFFFFu, 5000u}) {
      Bytes forged = sent[1].bytes;
      test::set16(forged, 24, static_cast<std::uint16_t>(forged_seq >> 16));
      test::set16(forged, 26, static_cast<std::uint16_t>(forged_seq));
      EXPECT_TRUE(dropped_as(in, forged, 20, DropReason::IcvFailure)) << forged_seq;
      EXPECT_EQ(in.replay_window().highest(), 1u);
    }
    // A forged packet with a valid-looking number and a corrupted ICV.
    Bytes bad_icv = sent[4].bytes;
    bad_icv.back() ^= 0x40;
    EXPECT_TRUE(dropped_as(in, bad_icv, 20, DropReason::IcvFailure));
    // Older genuine packets are still accepted, and the genuine 5 too.
    EXPECT_TRUE(decaps_to(in, sent[2].bytes, 20, inner[2]));
    EXPECT_TRUE(decaps_to(in, sent[1].bytes, 20, inner[1]));
    EXPECT_TRUE(decaps_to(in, sent[4].bytes, 20, inner[4]));
    EXPECT_TRUE(decaps_to(in, sent[3].bytes, 20, inner[3]));
  }
}

// ------------------------------------------------------------------ catalog row 17: sequence numbers

TEST_P(EspSuiteTest, Row17_SequenceNumberZeroIsNeverValid) {
  const Suite s = suite();
  for (bool esn : {false, true}) {
    SCOPED_TRACE(esn ? "esn" : "no esn");
    SaOptions o;
    o.esn = esn;
    SaPair pair = test::make_sa_pair(s, o);
    const Bytes inner = v4_inner();
    const Crafted zero = craft_inner(pair, inner, 0);
    EXPECT_TRUE(dropped_as(*pair.inbound, zero.bytes, zero.offset, DropReason::Malformed));
    EXPECT_EQ(pair.inbound->replay_window().highest(), 0u);
    const Crafted one = craft_inner(pair, inner, 1);
    EXPECT_TRUE(decaps_to(*pair.inbound, one.bytes, one.offset, inner));
    EXPECT_TRUE(dropped_as(*pair.inbound, zero.bytes, zero.offset, DropReason::Malformed)) << "after the window started";
  }
}

TEST_P(EspSuiteTest, Row17_FarAheadAcceptedFarBehindTooOld) {
  const Suite s = suite();
  for (bool esn : {false, true}) {
    SCOPED_TRACE(esn ? "esn" : "no esn");
    SaOptions o;
    o.esn = esn;
    o.replay_window = 64;
    SaPair pair = test::make_sa_pair(s, o);
    auto& in = *pair.inbound;
    const Bytes inner = v4_inner();
    const std::size_t off = 20;  // tunnel, IPv4 outer, no UDP
    auto pkt = [&](std::uint64_t seq) { return craft_inner(pair, inner, seq).bytes; };
    EXPECT_TRUE(decaps_to(in, pkt(1), off, inner));
    EXPECT_TRUE(decaps_to(in, pkt(1'000'000), off, inner)) << "far ahead";
    // Far behind. With ESN a number below the window is read as belonging to the next 2^32
    // subspace (RFC 4303 Appendix A2.2), so the ICV check refutes it instead.
    const DropReason behind = esn ? DropReason::IcvFailure : DropReason::TooOld;
    EXPECT_TRUE(dropped_as(in, pkt(2), off, behind)) << "far behind";
    EXPECT_TRUE(dropped_as(in, pkt(1'000'000 - 64), off, behind));
    EXPECT_EQ(in.replay_window().highest(), 1'000'000u);
    EXPECT_TRUE(decaps_to(in, pkt(1'000'000 - 63), off, inner));
    EXPECT_TRUE(dropped_as(in, pkt(1'000'000), off, DropReason::Replay));
    EXPECT_TRUE(decaps_to(in, pkt(0xFFFFFFF0), off, inner)) << "far ahead near the top of the 32-bit space";
    EXPECT_EQ(in.replay_window().highest(), 0xFFFFFFF0u);
  }
}

// With ESN the 32-bit counter wraps into the next subspace: the packet carries low 0, high 1 is
// implied (RFC 4303 §2.2.1, Appendix A2), and reordering across the wrap is tolerated.
TEST_P(EspSuiteTest, Row17_EsnWrapAcrossSubspaces) {
  const Suite s = suite();
  SaOptions o;
  o.esn = true;
  SaPair pair = test::make_sa_pair(s, o);
  auto& out = *pair.outbound;
  auto& in = *pair.inbound;
  std::vector<Bytes> inner;
  std::vector<Processed> sent;
  auto send = [&](std::uint64_t expect_seq) {
    inner.push_back(v4_inner(17, static_cast<std::uint32_t>(expect_seq)));
    sent.push_back(encap(out, inner.back()));
    ASSERT_TRUE(check_esp_packet(pair, inner.back(), sent.back(), expect_seq));
  };
  out.advance_sequence_to(0xFFFFFFEF);
  send(0xFFFFFFF0);
  ASSERT_TRUE(decaps_to(in, sent.back().bytes, 20, inner.back()));
  out.advance_sequence_to(0xFFFFFFFD);
  send(0xFFFFFFFE);  // [1]
  send(0xFFFFFFFF);  // [2]
  send(0x1'0000'0000);  // [3] low 0, high 1
  send(0x1'0000'0001);  // [4]
  EXPECT_EQ(test::get32(sent[3].bytes, 24), 0u) << "low half on the wire";
  ASSERT_TRUE(decaps_to(in, sent[3].bytes, 20, inner[3]));
  EXPECT_EQ(in.replay_window().highest(), 0x1'0000'0000u);
  ASSERT_TRUE(decaps_to(in, sent[2].bytes, 20, inner[2])) << "late packet from the old subspace";
  ASSERT_TRUE(decaps_to(in, sent[4].bytes, 20, inner[4]));
  ASSERT_TRUE(decaps_to(in, sent[1].bytes, 20, inner[1]));
  EXPECT_TRUE(dropped_as(in, sent[3].bytes, 20, DropReason::Replay));
  EXPECT_TRUE(dropped_as(in, sent[0].bytes, 20, DropReason::Replay));
  EXPECT_EQ(in.replay_window().highest(), 0x1'0000'0001u);

  // The same wrapped packet on a receiver without ESN state: it would read sequence 0.
  SaOptions plain;
  auto no_esn = test::make_sa(s, plain, Direction::Inbound);
  EXPECT_FALSE(decap(*no_esn, sent[3].bytes, 20).result.ok);
}

TEST_P(EspSuiteTest, Row17_NoSendPastExhaustionWithoutEsn) {
  const Suite s = suite();
  SaPair pair = test::make_sa_pair(s);
  auto& out = *pair.outbound;
  const Bytes inner = v4_inner();
  out.advance_sequence_to(0xFFFFFFFE);
  const Processed last = encap(out, inner);
  ASSERT_TRUE(check_esp_packet(pair, inner, last, 0xFFFFFFFF));
  EXPECT_TRUE(decaps_to(*pair.inbound, last.bytes, 20, inner));

  for (int attempt = 0; attempt < 3; ++attempt) {
    Bytes buffer(inner.size() + kMaxEncapsulationOverhead, 0xC3);
    const PacketResult r = esp_encapsulate(out, inner, buffer, kT0);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.drop, DropReason::SequenceExhausted);
    EXPECT_EQ(r.length, 0u);
    EXPECT_EQ(r.lifetime_event, attempt == 0 ? LifetimeEvent::Expired : LifetimeEvent::None) << "attempt " << attempt;
    EXPECT_EQ(std::count(buffer.begin(), buffer.end(), 0xC3), static_cast<std::ptrdiff_t>(buffer.size()))
        << "bytes written for a packet that was not sent";
  }
  EXPECT_EQ(out.drops()[DropReason::SequenceExhausted], 3u);
  EXPECT_EQ(out.drops().total(), 3u);
  EXPECT_TRUE(out.sequence_exhausted());
  EXPECT_FALSE(out.usable());
  EXPECT_EQ(out.last_sent_sequence(), 0xFFFFFFFFu);
  EXPECT_EQ(out.traffic().packets, 1u);
}

TEST_P(EspSuiteTest, Row17_EsnExhaustsOnlyAt2To64) {
  const Suite s = suite();
  SaOptions o;
  o.esn = true;
  SaPair pair = test::make_sa_pair(s, o);
  auto& out = *pair.outbound;
  const Bytes inner = v4_inner();
  // Past 2^32 nothing stops.
  out.advance_sequence_to(0xFFFFFFFF);
  EXPECT_TRUE(encap(out, inner).result.ok);
  // The receiver has seen traffic up to near the end of the space.
  pair.inbound->replay_window().accept(0xFFFFFFFF'FFFFFF00);
  out.advance_sequence_to(0xFFFFFFFF'FFFFFFFD);
  const Processed a = encap(out, inner);
  const Processed b = encap(out, inner);
  ASSERT_TRUE(check_esp_packet(pair, inner, a, 0xFFFFFFFF'FFFFFFFE));
  ASSERT_TRUE(check_esp_packet(pair, inner, b, 0xFFFFFFFF'FFFFFFFF));
  EXPECT_TRUE(decaps_to(*pair.inbound, b.bytes, 20, inner));
  EXPECT_TRUE(decaps_to(*pair.inbound, a.bytes, 20, inner));
  const Processed c = encap(out, inner);
  EXPECT_FALSE(c.result.ok);
  EXPECT_EQ(c.result.drop, DropReason::SequenceExhausted);
  EXPECT_EQ(c.result.lifetime_event, LifetimeEvent::Expired);
  EXPECT_FALSE(out.usable());
}

// ------------------------------------------------------------------ catalog row 18: the trailer

// Pad length beyond the payload, with a valid ICV: the checks run after authentication.
TEST_P(EspSuiteTest, Row18_PadLengthLongerThanPayload) {
  const Suite s = suite();
  for (bool esn : {false, true}) {
    SCOPED_TRACE(esn ? "esn" : "no esn");
    SaOptions o;
    o.esn = esn;
    SaPair pair = test::make_sa_pair(s, o);
    auto& in = *pair.inbound;
    const std::size_t a = test::esp_alignment(s);
    auto with_trailer = [&](std::size_t length, std::uint8_t pad_length) {
      Bytes p = test::pattern(length - 2, static_cast<std::uint32_t>(length));
      p.push_back(pad_length);
      p.push_back(wire::ip_protocol::kIpv4);
      return p;
    };
    std::uint64_t seq = 0;
    // pad length one more than the room in front of the trailer, much more, and 255.
    const std::pair<std::size_t, std::uint8_t> cases[] = {
        {2 * a, static_cast<std::uint8_t>(2 * a - 1)}, {a, static_cast<std::uint8_t>(a - 1)}, {2 * a, 200}, {4 * a, 255}};
    for (const auto& [length, pad] : cases) {
      const Crafted c = craft(pair, ++seq, with_trailer(length, pad));
      EXPECT_TRUE(dropped_as(in, c.bytes, c.offset, DropReason::BadPadding)) << "length " << length << " pad " << int{pad};
    }
    EXPECT_EQ(in.drops()[DropReason::BadPadding], seq);
    // Padding that fills everything exactly (correct bytes) is not a padding error: it leaves an
    // empty payload, which is no inner packet.
    Bytes all_padding;
    for (std::size_t i = 0; i < 2 * a - 2; ++i) all_padding.push_back(static_cast<std::uint8_t>(i + 1));
    all_padding.push_back(static_cast<std::uint8_t>(2 * a - 2));
    all_padding.push_back(wire::ip_protocol::kIpv4);
    const Crafted filled = craft(pair, ++seq, all_padding);
    EXPECT_TRUE(dropped_as(in, filled.bytes, filled.offset, DropReason::Malformed));
    // These packets authenticated, so their numbers are used up (RFC 4303 §3.4.3) ...
    EXPECT_EQ(in.replay_window().highest(), seq);
    const Crafted again = craft(pair, 1, with_trailer(2 * a, 250));
    EXPECT_TRUE(dropped_as(in, again.bytes, again.offset, DropReason::Replay));
    // ... and a good packet still gets through.
    const Bytes inner = v4_inner();
    const Crafted good = craft_inner(pair, inner, ++seq);
    EXPECT_TRUE(decaps_to(in, good.bytes, good.offset, inner));
  }
}

// The exact boundary, in transport mode where the plaintext lands right after the copied header:
// pad length = ciphertext - 1 (one more than fits in front of the trailer), padding bytes that
// would look right if the check were off by one and the byte before the plaintext were read, and
// an output buffer whose bytes are all 0x01. Must be BadPadding, not an underflowed payload length.
TEST_P(EspSuiteTest, Row18_PadLengthOneTooLongAtTheBoundary) {
  const Suite s = suite();
  SaOptions o;
  o.mode = Mode::Transport;
  SaPair pair = test::make_sa_pair(s, o);
  const std::size_t a = test::esp_alignment(s);
  const std::size_t length = 2 * a;
  Bytes plaintext;
  for (std::size_t i = 0; i < length - 2; ++i) plaintext.push_back(static_cast<std::uint8_t>(i + 2));
  plaintext.push_back(static_cast<std::uint8_t>(length - 1));
  plaintext.push_back(wire::ip_protocol::kUdp);
  const Bytes header = test::make_packet(pair.sender, pair.receiver, L4::Udp, 0);
  const Crafted c = craft(pair, 1, plaintext, ByteView(header).first(20), 9);
  Bytes out(c.bytes.size() + kMaxEncapsulationOverhead, 0x01);
  const PacketResult r = esp_decapsulate(*pair.inbound, c.bytes, c.offset, out, kT0);
  EXPECT_FALSE(r.ok) << "length " << r.length;
  EXPECT_EQ(r.drop, DropReason::BadPadding);
  EXPECT_EQ(pair.inbound->drops()[DropReason::BadPadding], 1u);
}

TEST_P(EspSuiteTest, Row18_NonMonotonicPaddingBytes) {
  const Suite s = suite();
  SaPair pair = test::make_sa_pair(s);
  auto& in = *pair.inbound;
  const std::size_t a = test::esp_alignment(s);
  const Bytes inner = v4_inner(30);
  // Valid plaintext with at least `a` padding bytes; padding starts right after the inner packet.
  const Bytes good = test::esp_plaintext(inner, wire::ip_protocol::kIpv4, a, a);
  const std::size_t pad = good[good.size() - 2];
  ASSERT_GE(pad, 4u);
  const std::size_t first = inner.size();
  std::vector<Bytes> bad;
  {
    Bytes b = good;
    std::swap(b[first], b[first + 1]);  // 2, 1, 3, ...
    bad.push_back(b);
  }
  {
    Bytes b = good;
    std::fill(b.begin() + static_cast<std::ptrdiff_t>(first), b.begin() + static_cast<std::ptrdiff_t>(first + pad), 0);
    bad.push_back(b);  // zero padding
  }
  {
    Bytes b = good;
    b[first + pad - 1] ^= 0x10;  // last padding byte wrong
    bad.push_back(b);
  }
  {
    Bytes b = good;
    b[first] = 0;  // first padding byte wrong
    bad.push_back(b);
  }
  {
    Bytes b = good;
    for (std::size_t i = 0; i < pad; ++i) b[first + i] = static_cast<std::uint8_t>(pad - i);  // descending
    bad.push_back(b);
  }
  std::uint64_t seq = 0;
  for (const Bytes& b : bad) {
    const Crafted c = craft(pair, ++seq, b);
    EXPECT_TRUE(dropped_as(in, c.bytes, c.offset, DropReason::BadPadding)) << "variant " << seq;
  }
  EXPECT_EQ(in.drops()[DropReason::BadPadding], bad.size());
  const Crafted control = craft(pair, ++seq, good);
  EXPECT_TRUE(decaps_to(in, control.bytes, control.offset, inner)) << "control";
}

// Only block ciphers have a block size to violate.
class EspCbcSuiteTest : public EspSuiteTest {};

INSTANTIATE_TEST_SUITE_P(EspCbcSuites, EspCbcSuiteTest,
                         ::testing::Values("aes128-sha256", "aes192-sha384", "aes256-sha512", "aes128-sha1", "3des-sha256"),
                         param_name);

TEST_P(EspCbcSuiteTest, Row18_CiphertextNotMultipleOfBlockSize) {
  const Suite s = suite();
  ASSERT_TRUE(test::is_cbc(s));
  SaPair pair = test::make_sa_pair(s);
  auto& in = *pair.inbound;
  const std::size_t a = test::esp_alignment(s);
  std::uint64_t seq = 0;
  for (std::size_t length : {2 * a + 1, 2 * a - 1, a + 4, std::size_t{2}, 3 * a + a / 2}) {
    Bytes p = test::pattern(length, static_cast<std::uint32_t>(length));
    p[length - 2] = 0;
    p[length - 1] = wire::ip_protocol::kIpv4;
    // The ICV is valid: the length check alone must refuse it.
    const Crafted c = craft(pair, ++seq, p);
    EXPECT_TRUE(dropped_as(in, c.bytes, c.offset, DropReason::Malformed)) << "length " << length;
  }
  EXPECT_EQ(in.replay_window().highest(), 0u);
  const Bytes inner = v4_inner();
  const Crafted good = craft_inner(pair, inner, 1);
  EXPECT_TRUE(decaps_to(in, good.bytes, good.offset, inner));
}

TEST_P(EspSuiteTest, Row18_TruncatedIcv) {
  const Suite s = suite();
  SaPair pair = test::make_sa_pair(s);
  auto& in = *pair.inbound;
  const Bytes inner = v4_inner(21);
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  const std::size_t icv = test::esp_icv_length(s);
  for (std::size_t cut : {std::size_t{1}, std::size_t{4}, icv / 2, icv - 1, icv}) {
    Bytes t(enc.bytes.begin(), enc.bytes.end() - static_cast<std::ptrdiff_t>(cut));
    test::fix_ip_length(t);
    const Processed d = decap(in, t, 20);
    EXPECT_FALSE(d.result.ok) << "cut " << cut;
    EXPECT_TRUE(d.result.drop == DropReason::IcvFailure || d.result.drop == DropReason::Malformed)
        << "cut " << cut << ": " << drop_reason_name(d.result.drop);
  }
  EXPECT_EQ(in.drops()[DropReason::IcvFailure] + in.drops()[DropReason::Malformed], 5u);
  EXPECT_EQ(in.drops().total(), 5u);
  EXPECT_TRUE(decaps_to(in, enc.bytes, 20, inner));
}

// RFC 4303 §2.6: next header 59 marks a dummy packet, discarded silently — but it authenticated,
// so its sequence number is consumed.
TEST_P(EspSuiteTest, Row18_DummyPacketDroppedButAdvancesWindow) {
  const Suite s = suite();
  for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
    SCOPED_TRACE(mode_name(mode));
    SaOptions o;
    o.mode = mode;
    SaPair pair = test::make_sa_pair(s, o);
    auto& in = *pair.inbound;
    const std::size_t a = test::esp_alignment(s);
    const Bytes transport_header =
        mode == Mode::Transport ? Bytes(test::make_packet(pair.sender, pair.receiver, L4::Udp, 0)) : Bytes();
    const ByteView th = mode == Mode::Transport ? ByteView(transport_header).first(20) : ByteView();
    const Crafted dummy = craft(pair, 1, test::esp_plaintext(test::pattern(37), wire::ip_protocol::kNoNextHeader, a), th, 9);
    EXPECT_TRUE(dropped_as(in, dummy.bytes, dummy.offset, DropReason::DummyPacket));
    EXPECT_EQ(in.replay_window().highest(), 1u);
    EXPECT_TRUE(dropped_as(in, dummy.bytes, dummy.offset, DropReason::Replay));
    const Crafted empty_dummy = craft(pair, 7, test::esp_plaintext({}, wire::ip_protocol::kNoNextHeader, a), th, 9);
    EXPECT_TRUE(dropped_as(in, empty_dummy.bytes, empty_dummy.offset, DropReason::DummyPacket));
    EXPECT_EQ(in.replay_window().highest(), 7u);
    EXPECT_EQ(in.drops()[DropReason::DummyPacket], 2u);
    EXPECT_EQ(in.traffic().packets, 0u);
    const Bytes inner = mode == Mode::Tunnel ? v4_inner() : test::make_packet(pair.sender, pair.receiver, L4::Udp, 9);
    const Crafted genuine = craft_inner(pair, inner, 2);
    EXPECT_TRUE(decaps_to(in, genuine.bytes, genuine.offset, inner)) << "older genuine packet";
  }
}

// RFC 4303 §2.7: in tunnel mode, TFC padding after the inner packet is removed.
TEST_P(EspSuiteTest, Row18_TfcPaddingAfterInnerPacketIsRemoved) {
  const Suite s = suite();
  for (IpFamily family : {V4, V6}) {
    SaPair pair = test::make_sa_pair(s);
    const Bytes inner = family == V4 ? v4_inner(33) : test::make_packet(test::v6_host_a(), test::v6_host_b(), L4::Udp, 33);
    const Bytes tfc(29, 0);
    const Crafted c = craft_inner(pair, inner, 1, 0, tfc);
    EXPECT_TRUE(decaps_to(*pair.inbound, c.bytes, c.offset, inner));
  }
}

TEST_P(EspSuiteTest, Row18_TunnelNextHeaderMustMatchInnerPacket) {
  const Suite s = suite();
  SaPair pair = test::make_sa_pair(s);
  auto& in = *pair.inbound;
  const std::size_t a = test::esp_alignment(s);
  const Bytes v4 = v4_inner();
  const Bytes v6 = test::make_packet(test::v6_host_a(), test::v6_host_b(), L4::Udp, 12);
  Bytes lying = v4;
  test::set16(lying, 2, static_cast<std::uint16_t>(v4.size() + 40));  // claims more than was sent
  struct Case {
    const char* what;
    ByteView payload;
    std::uint8_t next_header;
  };
  Bytes garbage = test::pattern(40, 5);
  garbage[0] = 0x07;  // IP version 0
  const Case cases[] = {
      {"upper-layer protocol in tunnel mode", v4, wire::ip_protocol::kTcp},
      {"IPv6 packet labelled IPv4", v6, wire::ip_protocol::kIpv4},
      {"IPv4 packet labelled IPv6", v4, wire::ip_protocol::kIpv6},
      {"garbage labelled IPv4", garbage, wire::ip_protocol::kIpv4},
      {"inner length beyond the payload", lying, wire::ip_protocol::kIpv4},
  };
  std::uint64_t seq = 0;
  for (const Case& c : cases) {
    const Crafted pkt = craft(pair, ++seq, test::esp_plaintext(c.payload, c.next_header, a));
    EXPECT_TRUE(dropped_as(in, pkt.bytes, pkt.offset, DropReason::Malformed)) << c.what;
  }
}

// ------------------------------------------------------------------ lifetimes and buffers

TEST_P(EspSuiteTest, EncapsulateBufferTooSmallWritesNothingPastTheSpan) {
  const Suite s = suite();
  for (const PathConfig& path : {kPaths[1], kPaths[3], kPaths[4]}) {
    SCOPED_TRACE(path.name);
    SaPair pair = test::make_sa_pair(s, options_for(path, false, true));
    const Bytes inner = test::inner_packet_for(pair, path.inner, spec_for(path, 45, 1));
    SaPair twin = test::make_sa_pair(s, options_for(path, false, true));
    const std::size_t needed = encap(*twin.outbound, inner).result.length;
    ASSERT_GT(needed, inner.size());
    constexpr std::size_t kCanary = 64;
    for (std::size_t size = 0; size < needed; size += (size + 8 < needed ? 7 : 1)) {
      Bytes storage(size + kCanary, 0xA5);
      const PacketResult r = esp_encapsulate(*pair.outbound, inner, MutableByteView(storage.data(), size), kT0);
      ASSERT_FALSE(r.ok) << "size " << size;
      ASSERT_EQ(r.drop, DropReason::BufferTooSmall);
      ASSERT_EQ(std::count(storage.begin() + static_cast<std::ptrdiff_t>(size), storage.end(), 0xA5),
                static_cast<std::ptrdiff_t>(kCanary))
          << "canary overwritten, size " << size;
    }
    EXPECT_EQ(pair.outbound->last_sent_sequence(), 0u) << "a refused packet used a sequence number";
    EXPECT_EQ(pair.outbound->drops().total(), pair.outbound->drops()[DropReason::BufferTooSmall]);
    Bytes storage(needed + kCanary, 0xA5);
    const PacketResult ok = esp_encapsulate(*pair.outbound, inner, MutableByteView(storage.data(), needed), kT0);
    ASSERT_TRUE(ok.ok);
    EXPECT_EQ(ok.length, needed);
    EXPECT_EQ(std::count(storage.begin() + static_cast<std::ptrdiff_t>(needed), storage.end(), 0xA5),
              static_cast<std::ptrdiff_t>(kCanary));
    EXPECT_EQ(pair.outbound->last_sent_sequence(), 1u);
    EXPECT_TRUE(decaps_to(*pair.inbound, ByteView(storage).first(needed), ok.protocol_offset, inner));
  }
}

// esp_encapsulate moves the payload with memmove so that "callers may encapsulate in place"
// (src/ipsec/esp.cpp): the packet at the start of the output buffer, the input view aliasing it.
TEST_P(EspSuiteTest, EncapsulateInPlace) {
  const Suite s = suite();
  for (const PathConfig& path : kPaths) {
    for (bool udp : {false, true}) {
      SCOPED_TRACE(describe(path, false, udp));
      SaPair pair = test::make_sa_pair(s, options_for(path, false, udp));
      std::uint64_t seq = 0;
      for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{33}, std::size_t{600}}) {
        const Bytes inner = test::inner_packet_for(pair, path.inner, spec_for(path, size, static_cast<std::uint32_t>(size)));
        Processed enc;
        enc.bytes.assign(inner.size() + kMaxEncapsulationOverhead, 0xEE);
        std::copy(inner.begin(), inner.end(), enc.bytes.begin());
        enc.result = esp_encapsulate(*pair.outbound, ByteView(enc.bytes.data(), inner.size()), enc.bytes, kT0);
        enc.bytes.resize(enc.result.ok ? enc.result.length : 0);
        ASSERT_TRUE(check_esp_packet(pair, inner, enc, ++seq)) << "size " << size;
        ASSERT_TRUE(decaps_to(*pair.inbound, enc.bytes, enc.result.protocol_offset, inner)) << "size " << size;
      }
    }
  }
}

TEST_P(EspSuiteTest, DecapsulateBufferTooSmallWritesNothingPastTheSpan) {
  const Suite s = suite();
  for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
    SCOPED_TRACE(mode_name(mode));
    SaOptions o;
    o.mode = mode;
    SaPair pair = test::make_sa_pair(s, o);
    const Bytes inner =
        mode == Mode::Tunnel ? v4_inner(50) : test::make_packet(pair.sender, pair.receiver, L4::Tcp, 50);
    const Processed enc = encap(*pair.outbound, inner);
    ASSERT_TRUE(enc.result.ok);
    constexpr std::size_t kCanary = 64;
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, inner.size() / 2, inner.size() - 1}) {
      Bytes storage(size + kCanary, 0x5A);
      const PacketResult r =
          esp_decapsulate(*pair.inbound, enc.bytes, enc.result.protocol_offset, MutableByteView(storage.data(), size), kT0);
      ASSERT_FALSE(r.ok) << "size " << size;
      EXPECT_EQ(r.drop, DropReason::BufferTooSmall);
      EXPECT_EQ(std::count(storage.begin() + static_cast<std::ptrdiff_t>(size), storage.end(), 0x5A),
                static_cast<std::ptrdiff_t>(kCanary))
          << "canary overwritten, size " << size;
    }
    EXPECT_EQ(pair.inbound->drops()[DropReason::BufferTooSmall], 4u);
    // A local shortage is not the sender's fault: the sequence number is still unused.
    EXPECT_EQ(pair.inbound->replay_window().highest(), 0u);
    EXPECT_TRUE(decaps_to(*pair.inbound, enc.bytes, enc.result.protocol_offset, inner));
  }
}

TEST_P(EspSuiteTest, LifetimeByPacketsBothDirections) {
  const Suite s = suite();
  SaOptions o;
  o.lifetime.soft_packets = 3;
  o.lifetime.hard_packets = 5;
  SaPair pair = test::make_sa_pair(s, o);
  const Bytes inner = v4_inner();
  const LifetimeEvent expected[] = {LifetimeEvent::None, LifetimeEvent::None, LifetimeEvent::Rekey, LifetimeEvent::None,
                                    LifetimeEvent::Expired};
  std::vector<Processed> sent;
  for (LifetimeEvent e : expected) {
    sent.push_back(encap(*pair.outbound, inner));
    ASSERT_TRUE(sent.back().result.ok);
    EXPECT_EQ(sent.back().result.lifetime_event, e) << "packet " << sent.size();
  }
  for (int i = 0; i < 2; ++i) {
    const Processed after = encap(*pair.outbound, inner);
    EXPECT_FALSE(after.result.ok);
    EXPECT_EQ(after.result.drop, DropReason::Expired);
    EXPECT_EQ(after.result.lifetime_event, LifetimeEvent::None) << "Expired reported twice";
  }
  EXPECT_EQ(pair.outbound->drops()[DropReason::Expired], 2u);
  EXPECT_FALSE(pair.outbound->usable());
  // Inbound counts the same way.
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const Processed d = decap(*pair.inbound, sent[i].bytes, 20);
    ASSERT_TRUE(d.result.ok);
    EXPECT_EQ(d.result.lifetime_event, expected[i]) << "inbound packet " << i + 1;
  }
  // A sixth packet from a twin sender is refused by the expired inbound SA.
  SaPair twin = test::make_sa_pair(s);
  twin.outbound->advance_sequence_to(5);
  EXPECT_TRUE(dropped_as(*pair.inbound, encap(*twin.outbound, inner).bytes, 20, DropReason::Expired));
}

TEST_P(EspSuiteTest, LifetimeByBytes) {
  const Suite s = suite();
  const Bytes inner = v4_inner(80);
  SaOptions o;
  o.lifetime.soft_bytes = 3 * inner.size() - 1;  // crossed by the 3rd packet
  o.lifetime.hard_bytes = 5 * inner.size();      // reached by the 5th
  SaPair pair = test::make_sa_pair(s, o);
  const LifetimeEvent expected[] = {LifetimeEvent::None, LifetimeEvent::None, LifetimeEvent::Rekey, LifetimeEvent::None,
                                    LifetimeEvent::Expired};
  std::vector<Processed> sent;
  for (LifetimeEvent e : expected) {
    sent.push_back(encap(*pair.outbound, inner));
    ASSERT_TRUE(sent.back().result.ok);
    EXPECT_EQ(sent.back().result.lifetime_event, e) << "packet " << sent.size();
  }
  const Processed after = encap(*pair.outbound, inner);
  EXPECT_FALSE(after.result.ok);
  EXPECT_EQ(after.result.drop, DropReason::Expired);
  EXPECT_EQ(pair.outbound->lifetime().bytes(), 5 * inner.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const Processed d = decap(*pair.inbound, sent[i].bytes, 20);
    ASSERT_TRUE(d.result.ok);
    EXPECT_EQ(d.result.lifetime_event, expected[i]) << "inbound packet " << i + 1;
  }
}

TEST_P(EspSuiteTest, LifetimeByTime) {
  const Suite s = suite();
  SaOptions o;
  o.created = kT0 + Seconds(1000);
  o.lifetime.soft_time = Seconds(10);
  o.lifetime.hard_time = Seconds(20);
  SaPair pair = test::make_sa_pair(s, o);
  const Bytes inner = v4_inner();
  const TimePoint c = o.created;
  struct Step {
    TimePoint at;
    bool ok;
    LifetimeEvent event;
  };
  const Step steps[] = {
      {c, true, LifetimeEvent::None},
      {c + Seconds(9), true, LifetimeEvent::None},
      {c + Seconds(10), true, LifetimeEvent::Rekey},
      {c + Seconds(15), true, LifetimeEvent::None},
      {c + Seconds(20) - Milliseconds(1), true, LifetimeEvent::None},
      {c + Seconds(20), false, LifetimeEvent::Expired},
      {c + Seconds(21), false, LifetimeEvent::None},
      {c + Seconds(3600), false, LifetimeEvent::None},
  };
  std::vector<Processed> sent;
  for (const Step& st : steps) {
    const Processed e = encap(*pair.outbound, inner, st.at);
    EXPECT_EQ(e.result.ok, st.ok);
    EXPECT_EQ(e.result.lifetime_event, st.event);
    if (!st.ok) {
      EXPECT_EQ(e.result.drop, DropReason::Expired);
    }
    if (e.result.ok) sent.push_back(e);
  }
  EXPECT_EQ(pair.outbound->drops()[DropReason::Expired], 3u);
  ASSERT_EQ(sent.size(), 5u);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const Processed d = decap(*pair.inbound, sent[i].bytes, 20, steps[i].at);
    EXPECT_TRUE(d.result.ok);
    EXPECT_EQ(d.result.lifetime_event, steps[i].event);
  }
  EXPECT_TRUE(dropped_as(*pair.inbound, sent[0].bytes, 20, DropReason::Expired, c + Seconds(20)));
}

// ------------------------------------------------------------------ non-parameterised tests

// The soft and hard limits crossed by one packet: only Expired, and no Rekey afterwards.
TEST(EspLifetime, HardWinsWhenCrossedTogether) {
  SaOptions o;
  o.lifetime.soft_packets = 2;
  o.lifetime.hard_packets = 2;
  SaPair pair = test::make_sa_pair(test::esp_suite("aes128gcm16"), o);
  const Bytes inner = v4_inner();
  EXPECT_EQ(encap(*pair.outbound, inner).result.lifetime_event, LifetimeEvent::None);
  const Processed second = encap(*pair.outbound, inner);
  EXPECT_TRUE(second.result.ok);
  EXPECT_EQ(second.result.lifetime_event, LifetimeEvent::Expired);
  const Processed third = encap(*pair.outbound, inner);
  EXPECT_FALSE(third.result.ok);
  EXPECT_EQ(third.result.lifetime_event, LifetimeEvent::None);
}

TEST(EspReplay, DisabledWindowAcceptsDuplicates) {
  SaOptions o;
  o.replay_window = 0;
  SaPair pair = test::make_sa_pair(test::esp_suite("aes256gcm16"), o);
  const Bytes inner = v4_inner();
  const Processed a = encap(*pair.outbound, inner);
  const Processed b = encap(*pair.outbound, inner);
  EXPECT_TRUE(decaps_to(*pair.inbound, b.bytes, 20, inner));
  EXPECT_TRUE(decaps_to(*pair.inbound, b.bytes, 20, inner));
  EXPECT_TRUE(decaps_to(*pair.inbound, a.bytes, 20, inner));
  // Still: sequence number 0 is never valid, and the ICV still counts.
  Bytes forged = a.bytes;
  forged[30] ^= 1;
  EXPECT_TRUE(dropped_as(*pair.inbound, forged, 20, DropReason::IcvFailure));
}

TEST(EspOuterHeader, DscpCopiedFromInnerAcrossFamilies) {
  for (const PathConfig& path : {kPaths[0], kPaths[1], kPaths[2], kPaths[3]}) {
    for (std::uint8_t ds : {std::uint8_t{0x00}, std::uint8_t{0xB8}, std::uint8_t{0x28}, std::uint8_t{0xFC}}) {
      SCOPED_TRACE(std::string(path.name) + " ds " + std::to_string(ds));
      SaPair pair = test::make_sa_pair(test::esp_suite("aes128gcm16"), options_for(path, false, false));
      PacketSpec spec;
      spec.ds = ds;
      spec.payload_size = 10;
      const Bytes inner = test::inner_packet_for(pair, path.inner, spec);
      ASSERT_EQ(test::ds_field(inner), ds);
      const Processed enc = encap(*pair.outbound, inner);
      ASSERT_TRUE(enc.result.ok);
      EXPECT_EQ(test::ds_field(enc.bytes) & 0xFC, ds & 0xFC);
    }
  }
}

TEST(EspOuterHeader, Ipv4TunnelHeaderFields) {
  SaPair pair = test::make_sa_pair(test::esp_suite("aes256gcm16"));
  const Bytes inner = v4_inner(100);
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  const Bytes& p = enc.bytes;
  EXPECT_EQ(p[0], 0x45);
  EXPECT_EQ(test::get16(p, 2), p.size());
  EXPECT_EQ(p[9], 50);
  EXPECT_GT(p[8], 0);
  EXPECT_EQ(test::inet_checksum({ByteView(p).first(20)}), 0);
  EXPECT_EQ(wire::IpAddress::v4(ByteView(p).subspan(12, 4)), test::v4_sender());
  EXPECT_EQ(wire::IpAddress::v4(ByteView(p).subspan(16, 4)), test::v4_receiver());
  // 20 outer + 8 ESP + 8 IV + inner + pad + 2 + 16 ICV, 4-byte aligned ciphertext.
  const std::size_t cipher = inner.size() + 2 + (4 - (inner.size() + 2) % 4) % 4;
  EXPECT_EQ(p.size(), 20 + 8 + 8 + cipher + 16);
  EXPECT_EQ(enc.result.protocol_offset, 20u);
}

TEST(EspOuterHeader, Ipv6TunnelHeaderFields) {
  SaOptions o;
  o.outer = V6;
  SaPair pair = test::make_sa_pair(test::esp_suite("aes128-sha256"), o);
  const Bytes inner = test::make_packet(test::v6_host_a(), test::v6_host_b(), L4::Icmp, 56);
  const Processed enc = encap(*pair.outbound, inner);
  ASSERT_TRUE(enc.result.ok);
  const Bytes& p = enc.bytes;
  EXPECT_EQ(p[0] >> 4, 6);
  EXPECT_EQ(test::get16(p, 4), p.size() - 40);
  EXPECT_EQ(p[6], 50);
  EXPECT_GT(p[7], 0);
  EXPECT_EQ(wire::IpAddress::v6(ByteView(p).subspan(8, 16)), test::v6_sender());
  EXPECT_EQ(wire::IpAddress::v6(ByteView(p).subspan(24, 16)), test::v6_receiver());
  const std::size_t cipher = p.size() - 40 - 8 - 16 - 16;
  EXPECT_EQ(cipher % 16, 0u);
  EXPECT_EQ(enc.result.protocol_offset, 40u);
}

TEST(EspUdpEncapsulation, Ipv4HeaderFieldsAndOffset) {
  for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
    SaOptions o;
    o.udp = true;
    o.mode = mode;
    o.sender_port = 61000;
    o.receiver_port = 4500;
    SaPair pair = test::make_sa_pair(test::esp_suite("chacha20poly1305"), o);
    const Bytes inner = mode == Mode::Tunnel ? v4_inner(31) : test::make_packet(pair.sender, pair.receiver, L4::Udp, 31);
    const Processed enc = encap(*pair.outbound, inner);
    ASSERT_TRUE(enc.result.ok);
    const Bytes& p = enc.bytes;
    EXPECT_EQ(p[9], 17) << "outer protocol is UDP";
    EXPECT_EQ(test::get16(p, 20), 61000);
    EXPECT_EQ(test::get16(p, 22), 4500);
    EXPECT_EQ(test::get16(p, 24), p.size() - 20);
    EXPECT_EQ(test::get16(p, 26), 0) << "RFC 3948 §2.1: zero checksum over IPv4";
    EXPECT_EQ(enc.result.protocol_offset, 28u);
    EXPECT_EQ(test::get32(p, 28), pair.options.spi) << "protocol_offset points at the SPI";
    EXPECT_EQ(test::get32(p, 32), 1u);
    EXPECT_EQ(test::inet_checksum({ByteView(p).first(20)}), 0);
    EXPECT_TRUE(decaps_to(*pair.inbound, p, 28, inner));
  }
}

TEST(EspUdpEncapsulation, Ipv6ChecksumIsNonZeroAndCorrect) {
  for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
    for (const char* suite_name : {"aes128gcm16", "null-sha256", "3des-sha256"}) {
      SCOPED_TRACE(std::string(mode_name(mode)) + " " + suite_name);
      SaOptions o;
      o.udp = true;
      o.outer = V6;
      o.mode = mode;
      SaPair pair = test::make_sa_pair(test::esp_suite(suite_name), o);
      for (std::size_t size = 0; size < 40; ++size) {
        const Bytes inner = mode == Mode::Tunnel ? v4_inner(size, static_cast<std::uint32_t>(size))
                                                 : test::make_packet(pair.sender, pair.receiver, L4::Udp, size,
                                                                     static_cast<std::uint32_t>(size));
        const Processed enc = encap(*pair.outbound, inner);
        ASSERT_TRUE(enc.result.ok);
        const Bytes& p = enc.bytes;
        ASSERT_EQ(p[6], 17);
        ASSERT_EQ(enc.result.protocol_offset, 48u);
        const ByteView dgram = ByteView(p).subspan(40);
        ASSERT_EQ(test::get16(p, 44), dgram.size());
        ASSERT_NE(test::get16(p, 46), 0);
        ASSERT_EQ(test::inet_checksum({test::pseudo_header(pair.sender, pair.receiver, 17, dgram.size()), dgram}), 0)
            << "size " << size;
        ASSERT_TRUE(decaps_to(*pair.inbound, p, 48, inner));
      }
    }
  }
}

TEST(EspEncapsulate, RefusesMalformedInnerWithoutUsingASequenceNumber) {
  SaPair pair = test::make_sa_pair(test::esp_suite("aes128gcm16"));
  auto& out = *pair.outbound;
  const Bytes good = v4_inner();
  std::vector<Bytes> bad;
  bad.push_back({});
  bad.push_back(test::pattern(60, 1));
  {
    Bytes b = good;
    b[0] = 0x55;  // version 5
    bad.push_back(b);
  }
  {
    Bytes b = good;
    b[0] = 0x44;  // IHL 4
    bad.push_back(b);
  }
  {
    Bytes b = good;
    test::set16(b, 2, static_cast<std::uint16_t>(good.size() + 1));  // claims more than given
    bad.push_back(b);
  }
  bad.push_back(Bytes(good.begin(), good.begin() + 19));
  {
    Bytes v6 = test::make_packet(test::v6_host_a(), test::v6_host_b(), L4::Udp, 10);
    v6.resize(39);
    bad.push_back(v6);
  }
  for (const Bytes& b : bad) {
    const Processed r = encap(out, b);
    EXPECT_FALSE(r.result.ok);
    EXPECT_EQ(r.result.drop, DropReason::Malformed);
  }
  EXPECT_EQ(out.drops()[DropReason::Malformed], bad.size());
  EXPECT_EQ(out.last_sent_sequence(), 0u);
  EXPECT_TRUE(encap(out, good).result.ok);
  EXPECT_EQ(out.last_sent_sequence(), 1u);
}

TEST(EspEncapsulate, TransportModeRefusesOtherFamily) {
  SaOptions o;
  o.mode = Mode::Transport;
  SaPair pair = test::make_sa_pair(test::esp_suite("aes128gcm16"), o);
  const Bytes v6 = test::make_packet(test::v6_sender(), test::v6_receiver(), L4::Udp, 10);
  const Processed r = encap(*pair.outbound, v6);
  EXPECT_FALSE(r.result.ok);
  EXPECT_EQ(r.result.drop, DropReason::Malformed);
  EXPECT_EQ(pair.outbound->last_sent_sequence(), 0u);
}

TEST(EspEncapsulate, RefusesResultLargerThanTheIpLengthField) {
  for (IpFamily outer : {V4, V6}) {
    SaOptions o;
    o.outer = outer;
    SaPair pair = test::make_sa_pair(test::esp_suite("aes128gcm16"), o);
    // A maximal IPv4 packet: 65535 bytes.
    const Bytes inner = v4_inner(65535 - 28);
    ASSERT_EQ(inner.size(), 65535u);
    const Processed r = encap(*pair.outbound, inner);
    EXPECT_FALSE(r.result.ok);
    EXPECT_EQ(r.result.drop, DropReason::Malformed);
    EXPECT_EQ(pair.outbound->last_sent_sequence(), 0u);
    // The largest inner packet that still fits goes through.
    const std::size_t overhead = (outer == V4 ? 20 : 0) + 8 + 8 + 2 + 16;
    const Bytes fits = v4_inner(65535 - overhead - 28 - 3);
    const Processed ok = encap(*pair.outbound, fits);
    ASSERT_TRUE(ok.result.ok) << drop_reason_name(ok.result.drop);
    EXPECT_TRUE(decaps_to(*pair.inbound, ok.bytes, ok.result.protocol_offset, fits));
  }
}

TEST(EspDecapsulate, OffsetOutsideThePacketIsMalformed) {
  SaPair pair = test::make_sa_pair(test::esp_suite("aes128-sha256"));
  const Bytes inner = v4_inner();
  const Processed enc = encap(*pair.outbound, inner);
  for (std::size_t off : {std::size_t{0}, std::size_t{19}, enc.bytes.size() + 1, std::size_t{1} << 40}) {
    EXPECT_TRUE(dropped_as(*pair.inbound, enc.bytes, off, DropReason::Malformed)) << "offset " << off;
  }
  // An offset past the ESP header mis-frames it: the "SPI" is then something else.
  EXPECT_FALSE(decap(*pair.inbound, enc.bytes, 24).result.ok);
  EXPECT_EQ(pair.inbound->replay_window().highest(), 0u);
  EXPECT_TRUE(decaps_to(*pair.inbound, enc.bytes, 20, inner));
}

TEST(EspDecapsulate, CbcWithoutIntegrityWhenExplicitlyAllowed) {
  Suite s = test::esp_suite("aes128-sha256");
  s.integrity.reset();
  SaOptions o;
  o.allow_encryption_without_integrity = true;
  SaPair pair = test::make_sa_pair(s, o);
  EXPECT_EQ(pair.outbound->icv_length(), 0u);
  for (std::size_t size = 0; size < 40; ++size) {
    const Bytes inner = v4_inner(size, static_cast<std::uint32_t>(size));
    const Processed enc = encap(*pair.outbound, inner);
    ASSERT_TRUE(enc.result.ok);
    EXPECT_EQ((enc.bytes.size() - 20 - 8 - 16) % 16, 0u);
    ASSERT_TRUE(decaps_to(*pair.inbound, enc.bytes, 20, inner));
  }
}

// Regression (found by this file, fixed in c46329b): every encapsulation attempt after the
// sequence space ran out reported lifetime_event = Expired again, although PacketResult documents
// lifetime events as reported once per SA (src/ipsec/packet_result.hpp), as hard expiry does.
TEST(EspSequence, ExhaustionReportsExpiredOnlyOnce) {
  SaPair pair = test::make_sa_pair(test::esp_suite("aes128gcm16"));
  const Bytes inner = v4_inner();
  pair.outbound->advance_sequence_to(0xFFFFFFFF);
  const Processed first = encap(*pair.outbound, inner);
  EXPECT_EQ(first.result.drop, DropReason::SequenceExhausted);
  EXPECT_EQ(first.result.lifetime_event, LifetimeEvent::Expired);
  const Processed second = encap(*pair.outbound, inner);
  EXPECT_EQ(second.result.drop, DropReason::SequenceExhausted);
  EXPECT_EQ(second.result.lifetime_event, LifetimeEvent::None) << "Expired reported more than once per SA";
}

}  // namespace
}  // namespace cygnet::ipsec
