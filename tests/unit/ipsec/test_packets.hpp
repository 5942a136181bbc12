// Test helpers for the ESP/AH packet path: hand-built IPv4/IPv6 packets (ICMP, UDP, TCP, with IPv4
// options or IPv6 extension headers) using documentation addresses only (192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), the cipher suites by name, matching
// outbound/inbound SA pairs with fixed (non-secret, test-only) keys, and an independent ESP packet
// builder that computes a valid ICV from those keys so tests can send hostile-but-authentic packets.
//
// Everything here is written from the RFCs, not from src/ipsec, so that a wrong layout in the code
// under test does not cancel out against the same mistake in the checker.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/aead.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "crypto/secure_bytes.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/sa_parameters.hpp"
#include "ipsec/security_association.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::test {

using ipsec::Direction;
using ipsec::EncryptionTransform;
using ipsec::IpsecProtocol;
using ipsec::Mode;
using wire::IpAddress;
using wire::IpFamily;

// ------------------------------------------------------------------ byte helpers

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
inline void set16(Bytes& b, std::size_t at, std::uint16_t v) {
  b.at(at) = static_cast<std::uint8_t>(v >> 8);
  b.at(at + 1) = static_cast<std::uint8_t>(v);
}
inline std::uint16_t get16(ByteView b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
inline std::uint32_t get32(ByteView b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
         std::uint32_t{b[at + 3]};
}
inline void append(Bytes& b, ByteView v) { b.insert(b.end(), v.begin(), v.end()); }
inline Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) append(out, p);
  return out;
}

// Deterministic filler: different seeds give different contents.
inline Bytes pattern(std::size_t size, std::uint32_t seed = 0) {
  Bytes out(size);
  std::uint32_t x = seed * 2654435761u + 12345u;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<std::uint8_t>(x >> 16);
  }
  return out;
}

// RFC 1071 Internet checksum over the concatenation of parts (value to store: complemented).
inline std::uint16_t inet_checksum(std::initializer_list<ByteView> parts) {
  Bytes all = concat(parts);
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < all.size(); i += 2) sum += static_cast<std::uint32_t>((all[i] << 8) | all[i + 1]);
  if (all.size() % 2 != 0) sum += static_cast<std::uint32_t>(all.back() << 8);
  while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// ------------------------------------------------------------------ addresses

inline IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  if (!a) throw std::invalid_argument("bad test address");
  return *a;
}

// Tunnel endpoints / transport-mode hosts (sender = "local" of the outbound SA).
inline IpAddress v4_sender() { return ip("192.0.2.1"); }
inline IpAddress v4_receiver() { return ip("198.51.100.1"); }
inline IpAddress v6_sender() { return ip("2001:db8::1"); }
inline IpAddress v6_receiver() { return ip("2001:db8:ffff::2"); }
// Hosts behind the tunnel endpoints (inner packets of tunnel mode).
inline IpAddress v4_host_a() { return ip("192.0.2.77"); }
inline IpAddress v4_host_b() { return ip("203.0.113.9"); }
inline IpAddress v6_host_a() { return ip("2001:db8:a::77"); }
inline IpAddress v6_host_b() { return ip("2001:db8:b::9"); }

inline IpAddress sender_of(IpFamily f) { return f == IpFamily::V4 ? v4_sender() : v6_sender(); }
inline IpAddress receiver_of(IpFamily f) { return f == IpFamily::V4 ? v4_receiver() : v6_receiver(); }

// ------------------------------------------------------------------ upper-layer segments

inline Bytes pseudo_header(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol, std::size_t length) {
  Bytes p;
  append(p, src.bytes());
  append(p, dst.bytes());
  if (src.is_v4()) {
    p.push_back(0);
    p.push_back(protocol);
    put16(p, static_cast<std::uint16_t>(length));
  } else {
    put32(p, static_cast<std::uint32_t>(length));
    p.push_back(0);
    p.push_back(0);
    p.push_back(0);
    p.push_back(protocol);
  }
  return p;
}

inline Bytes udp_segment(const IpAddress& src, const IpAddress& dst, std::uint16_t sport, std::uint16_t dport,
                         ByteView payload) {
  Bytes s;
  put16(s, sport);
  put16(s, dport);
  put16(s, static_cast<std::uint16_t>(8 + payload.size()));
  put16(s, 0);
  append(s, payload);
  std::uint16_t c = inet_checksum({pseudo_header(src, dst, 17, s.size()), s});
  set16(s, 6, c == 0 ? 0xFFFF : c);
  return s;
}

inline Bytes tcp_segment(const IpAddress& src, const IpAddress& dst, std::uint16_t sport, std::uint16_t dport,
                         std::uint32_t seq, ByteView payload) {
  Bytes s;
  put16(s, sport);
  put16(s, dport);
  put32(s, seq);
  put32(s, 0x01020304);  // ack
  s.push_back(0x50);     // data offset 5
  s.push_back(0x18);     // PSH|ACK
  put16(s, 0xFAF0);      // window
  put16(s, 0);           // checksum
  put16(s, 0);           // urgent
  append(s, payload);
  set16(s, 16, inet_checksum({pseudo_header(src, dst, 6, s.size()), s}));
  return s;
}

// ICMP (v4) or ICMPv6 echo request.
inline Bytes icmp_echo(const IpAddress& src, const IpAddress& dst, std::uint16_t id, std::uint16_t seq,
                       ByteView payload) {
  Bytes s;
  s.push_back(src.is_v4() ? 8 : 128);
  s.push_back(0);
  put16(s, 0);
  put16(s, id);
  put16(s, seq);
  append(s, payload);
  if (src.is_v4()) {
    set16(s, 2, inet_checksum({s}));
  } else {
    set16(s, 2, inet_checksum({pseudo_header(src, dst, 58, s.size()), s}));
  }
  return s;
}

// ------------------------------------------------------------------ IP packets

struct Ipv4Extras {
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  std::uint16_t id = 0x1c46;
  bool dont_fragment = true;
  Bytes options;  // padded with zeros (end of list) to a multiple of 4
};

inline Bytes ipv4_packet(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol, ByteView l4,
                         const Ipv4Extras& x = {}) {
  Bytes opts = x.options;
  while (opts.size() % 4 != 0) opts.push_back(0);
  const std::size_t header = 20 + opts.size();
  Bytes p;
  p.push_back(static_cast<std::uint8_t>(0x40 | (header / 4)));
  p.push_back(x.tos);
  put16(p, static_cast<std::uint16_t>(header + l4.size()));
  put16(p, x.id);
  put16(p, x.dont_fragment ? 0x4000 : 0);
  p.push_back(x.ttl);
  p.push_back(protocol);
  put16(p, 0);
  append(p, src.bytes());
  append(p, dst.bytes());
  append(p, opts);
  set16(p, 10, inet_checksum({ByteView(p.data(), header)}));
  append(p, l4);
  return p;
}

// An IPv6 extension header: its type (the value naming it in the previous header) and its bytes
// from "Hdr Ext Len" on; the builder writes the next-header byte in front.
struct Ipv6Extension {
  std::uint8_t type = 0;
  Bytes body;
};

// Hop-by-hop or destination options header around `options`, padded with PadN/Pad1 to 8n bytes.
inline Ipv6Extension ipv6_options_header(std::uint8_t type, ByteView options) {
  Bytes opts(options.begin(), options.end());
  std::size_t total = 2 + opts.size();
  std::size_t pad = (8 - total % 8) % 8;
  if (pad == 1) {
    opts.push_back(0);  // Pad1
  } else if (pad >= 2) {
    opts.push_back(1);  // PadN
    opts.push_back(static_cast<std::uint8_t>(pad - 2));
    for (std::size_t i = 0; i < pad - 2; ++i) opts.push_back(0);
  }
  Ipv6Extension e;
  e.type = type;
  e.body.push_back(static_cast<std::uint8_t>((2 + opts.size()) / 8 - 1));
  append(e.body, opts);
  return e;
}

struct Ipv6Extras {
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;
  std::uint8_t hop_limit = 64;
  std::vector<Ipv6Extension> extensions;
};

inline Bytes ipv6_packet(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol, ByteView l4,
                         const Ipv6Extras& x = {}) {
  Bytes ext;
  for (std::size_t i = 0; i < x.extensions.size(); ++i) {
    std::uint8_t next = i + 1 < x.extensions.size() ? x.extensions[i + 1].type : protocol;
    ext.push_back(next);
    append(ext, x.extensions[i].body);
  }
  Bytes p;
  put32(p, (std::uint32_t{6} << 28) | (std::uint32_t{x.traffic_class} << 20) | (x.flow_label & 0xFFFFF));
  put16(p, static_cast<std::uint16_t>(ext.size() + l4.size()));
  p.push_back(x.extensions.empty() ? protocol : x.extensions.front().type);
  p.push_back(x.hop_limit);
  append(p, src.bytes());
  append(p, dst.bytes());
  append(p, ext);
  append(p, l4);
  return p;
}

enum class L4 : std::uint8_t { Udp, Tcp, Icmp };

inline std::uint8_t l4_protocol(L4 kind, IpFamily family) {
  switch (kind) {
    case L4::Udp: return 17;
    case L4::Tcp: return 6;
    case L4::Icmp: return family == IpFamily::V4 ? 1 : 58;
  }
  return 0;
}

inline Bytes l4_segment(L4 kind, const IpAddress& src, const IpAddress& dst, ByteView payload,
                        std::uint32_t seed = 0) {
  switch (kind) {
    case L4::Udp: return udp_segment(src, dst, static_cast<std::uint16_t>(40000 + seed % 1000), 53, payload);
    case L4::Tcp: return tcp_segment(src, dst, 443, static_cast<std::uint16_t>(50000 + seed % 1000), seed, payload);
    case L4::Icmp: return icmp_echo(src, dst, 0x4242, static_cast<std::uint16_t>(seed), payload);
  }
  return {};
}

// A complete packet from src to dst with `payload_size` bytes of upper-layer payload.
inline Bytes make_packet(const IpAddress& src, const IpAddress& dst, L4 kind, std::size_t payload_size,
                         std::uint32_t seed = 0) {
  Bytes payload = pattern(payload_size, seed);
  Bytes l4 = l4_segment(kind, src, dst, payload, seed);
  const std::uint8_t proto = l4_protocol(kind, src.family());
  return src.is_v4() ? ipv4_packet(src, dst, proto, l4) : ipv6_packet(src, dst, proto, l4);
}

// A packet with everything the packet path might look at under the test's control.
struct PacketSpec {
  L4 kind = L4::Udp;
  std::size_t payload_size = 0;
  std::uint32_t seed = 0;
  std::uint8_t ds = 0;               // IPv4 TOS / IPv6 traffic class (DSCP + ECN)
  std::uint32_t flow_label = 0;      // IPv6 only
  std::uint8_t ttl = 64;             // TTL / hop limit
  Bytes ipv4_options;                // IPv4 only
  std::vector<Ipv6Extension> ipv6_extensions;  // IPv6 only, in order
};

inline Bytes build_packet(const IpAddress& src, const IpAddress& dst, const PacketSpec& spec) {
  Bytes payload = pattern(spec.payload_size, spec.seed);
  Bytes l4 = l4_segment(spec.kind, src, dst, payload, spec.seed);
  const std::uint8_t proto = l4_protocol(spec.kind, src.family());
  if (src.is_v4()) {
    Ipv4Extras x;
    x.tos = spec.ds;
    x.ttl = spec.ttl;
    x.id = static_cast<std::uint16_t>(0x1c46 + spec.seed);
    x.options = spec.ipv4_options;
    return ipv4_packet(src, dst, proto, l4, x);
  }
  Ipv6Extras x;
  x.traffic_class = spec.ds;
  x.flow_label = spec.flow_label;
  x.hop_limit = spec.ttl;
  x.extensions = spec.ipv6_extensions;
  return ipv6_packet(src, dst, proto, l4, x);
}

// Sets the IP length field (IPv4 total length + checksum, IPv6 payload length) to p.size().
inline void fix_ip_length(Bytes& p) {
  if (p.empty()) return;
  if ((p[0] >> 4) == 4 && p.size() >= 20) {
    const std::size_t header = std::size_t{p[0] & 0x0Fu} * 4;
    set16(p, 2, static_cast<std::uint16_t>(p.size()));
    if (header <= p.size()) {
      set16(p, 10, 0);
      set16(p, 10, inet_checksum({ByteView(p.data(), header)}));
    }
  } else if ((p[0] >> 4) == 6 && p.size() >= 40) {
    set16(p, 4, static_cast<std::uint16_t>(p.size() - 40));
  }
}

// Recomputes the IPv4 header checksum in place (no-op for IPv6).
inline void fix_ipv4_checksum(Bytes& p) {
  if (p.size() < 20 || (p[0] >> 4) != 4) return;
  const std::size_t header = std::size_t{p[0] & 0x0Fu} * 4;
  if (header > p.size()) return;
  set16(p, 10, 0);
  set16(p, 10, inet_checksum({ByteView(p.data(), header)}));
}

// ------------------------------------------------------------------ suites

struct Suite {
  std::string name;
  IpsecProtocol protocol = IpsecProtocol::Esp;
  EncryptionTransform encryption;
  std::optional<crypto::IntegrityAlgorithm> integrity;
};

inline std::optional<crypto::IntegrityAlgorithm> integrity_by_name(std::string_view n) {
  using crypto::IntegrityAlgorithm;
  if (n == "sha1" || n == "sha1_96") return IntegrityAlgorithm::HmacSha1_96;
  if (n == "sha256") return IntegrityAlgorithm::HmacSha256_128;
  if (n == "sha384") return IntegrityAlgorithm::HmacSha384_192;
  if (n == "sha512") return IntegrityAlgorithm::HmacSha512_256;
  return std::nullopt;
}

// ESP suites: AEADs "aes128gcm16", "aes192gcm16", "aes256gcm16", "aes128gcm8", "aes256gcm12", ...,
// "chacha20poly1305"; CBC/NULL with HMAC "aes128-sha256", "3des-sha256", "null-sha256", ...
// Throws on an unknown name.
inline Suite esp_suite(std::string_view name) {
  using crypto::AeadAlgorithm;
  using crypto::CbcAlgorithm;
  Suite s;
  s.name = std::string(name);
  s.protocol = IpsecProtocol::Esp;
  if (name == "chacha20poly1305") {
    s.encryption = EncryptionTransform::aead_with(AeadAlgorithm::ChaCha20Poly1305, 16);
    return s;
  }
  const std::pair<std::string_view, AeadAlgorithm> gcm[] = {{"aes128gcm", AeadAlgorithm::AesGcm128},
                                                             {"aes192gcm", AeadAlgorithm::AesGcm192},
                                                             {"aes256gcm", AeadAlgorithm::AesGcm256}};
  for (const auto& [prefix, alg] : gcm) {
    if (name.substr(0, prefix.size()) == prefix) {
      std::string_view icv = name.substr(prefix.size());
      std::uint8_t icv_len = icv == "8" ? 8 : icv == "12" ? 12 : icv == "16" ? 16 : 0;
      if (icv_len == 0) throw std::invalid_argument("unknown suite " + s.name);
      s.encryption = EncryptionTransform::aead_with(alg, icv_len);
      return s;
    }
  }
  const std::size_t dash = name.find('-');
  if (dash == std::string_view::npos) throw std::invalid_argument("unknown suite " + s.name);
  std::string_view enc = name.substr(0, dash);
  s.integrity = integrity_by_name(name.substr(dash + 1));
  if (!s.integrity) throw std::invalid_argument("unknown suite " + s.name);
  if (enc == "null") s.encryption = EncryptionTransform::null();
  else if (enc == "aes128") s.encryption = EncryptionTransform::cbc_with(CbcAlgorithm::AesCbc128);
  else if (enc == "aes192") s.encryption = EncryptionTransform::cbc_with(CbcAlgorithm::AesCbc192);
  else if (enc == "aes256") s.encryption = EncryptionTransform::cbc_with(CbcAlgorithm::AesCbc256);
  else if (enc == "3des") s.encryption = EncryptionTransform::cbc_with(CbcAlgorithm::TripleDesCbc);
  else throw std::invalid_argument("unknown suite " + s.name);
  return s;
}

// AH suites: "sha1" (HMAC-SHA1-96), "sha256", "sha384", "sha512".
inline Suite ah_suite(std::string_view name) {
  Suite s;
  s.name = std::string(name);
  s.protocol = IpsecProtocol::Ah;
  s.integrity = integrity_by_name(name);
  if (!s.integrity) throw std::invalid_argument("unknown AH suite " + s.name);
  return s;
}

inline bool is_aead(const Suite& s) { return s.encryption.kind == EncryptionTransform::Kind::Aead; }
inline bool is_cbc(const Suite& s) { return s.encryption.kind == EncryptionTransform::Kind::Cbc; }

// Sizes of the ESP transform (RFC 4303 §2, RFC 4106 §3, RFC 7634 §2, RFC 3602 §2).
inline std::size_t esp_iv_length(const Suite& s) {
  if (is_aead(s)) return 8;
  if (is_cbc(s)) return crypto::cbc_block_size(s.encryption.cbc);
  return 0;
}
inline std::size_t esp_alignment(const Suite& s) {
  return is_cbc(s) ? crypto::cbc_block_size(s.encryption.cbc) : 4;
}
inline std::size_t esp_icv_length(const Suite& s) {
  if (is_aead(s)) return s.encryption.aead_icv_length;
  return s.integrity ? crypto::integrity_icv_length(*s.integrity) : 0;
}

// Fixed test keys (not secrets): bytes derived from a seed.
inline Bytes test_key(std::size_t size, std::uint8_t seed) {
  Bytes k(size);
  for (std::size_t i = 0; i < size; ++i) k[i] = static_cast<std::uint8_t>(seed * 37 + i * 11 + 5);
  return k;
}

// ------------------------------------------------------------------ SA pairs

struct SaOptions {
  Mode mode = Mode::Tunnel;
  IpFamily outer = IpFamily::V4;  // family of the tunnel endpoints / transport hosts
  bool esn = false;
  bool udp = false;
  std::uint16_t sender_port = 4501;    // as a NAT might rewrite it
  std::uint16_t receiver_port = 4500;
  std::uint32_t replay_window = 1024;
  ipsec::LifetimeLimits lifetime{};    // applied to both SAs
  std::uint32_t spi = 0xC0DE0101;
  std::uint8_t key_seed = 1;
  bool allow_encryption_without_integrity = false;
  TimePoint created{};
};

struct SaPair {
  Suite suite;
  SaOptions options;
  std::unique_ptr<ipsec::SecurityAssociation> outbound;
  std::unique_ptr<ipsec::SecurityAssociation> inbound;
  // Copies of the keys so tests can build authentic packets themselves (test keys only).
  Bytes encryption_key;  // AEAD: cipher key followed by the 4-byte salt
  Bytes integrity_key;
  IpAddress sender;
  IpAddress receiver;
};

inline ipsec::SaParameters make_params(const Suite& suite, const SaOptions& o, Direction d) {
  ipsec::SaParameters p;
  p.spi = o.spi;
  p.protocol = suite.protocol;
  p.mode = o.mode;
  p.direction = d;
  const IpAddress snd = sender_of(o.outer);
  const IpAddress rcv = receiver_of(o.outer);
  p.local_address = d == Direction::Outbound ? snd : rcv;
  p.remote_address = d == Direction::Outbound ? rcv : snd;
  if (o.udp) {
    ipsec::UdpEncapsulation u;
    u.local_port = d == Direction::Outbound ? o.sender_port : o.receiver_port;
    u.remote_port = d == Direction::Outbound ? o.receiver_port : o.sender_port;
    p.udp_encapsulation = u;
  }
  if (suite.protocol == IpsecProtocol::Esp) {
    p.encryption = suite.encryption;
    p.encryption_key = crypto::SecureBytes(test_key(suite.encryption.key_material_length(), o.key_seed));
  }
  p.integrity = suite.integrity;
  if (suite.integrity) {
    p.integrity_key =
        crypto::SecureBytes(test_key(crypto::integrity_key_length(*suite.integrity), static_cast<std::uint8_t>(o.key_seed + 100)));
  }
  p.allow_encryption_without_integrity = o.allow_encryption_without_integrity;
  p.extended_sequence_numbers = o.esn;
  p.replay_window = o.replay_window;
  p.lifetime = o.lifetime;
  p.name = "test/" + suite.name;
  return p;
}

inline SaPair make_sa_pair(const Suite& suite, const SaOptions& o = {}) {
  SaPair pair;
  pair.suite = suite;
  pair.options = o;
  pair.sender = sender_of(o.outer);
  pair.receiver = receiver_of(o.outer);
  ipsec::SaParameters out = make_params(suite, o, Direction::Outbound);
  ipsec::SaParameters in = make_params(suite, o, Direction::Inbound);
  pair.encryption_key = Bytes(out.encryption_key.view().begin(), out.encryption_key.view().end());
  pair.integrity_key = Bytes(out.integrity_key.view().begin(), out.integrity_key.view().end());
  pair.outbound = std::make_unique<ipsec::SecurityAssociation>(std::move(out), o.created);
  pair.inbound = std::make_unique<ipsec::SecurityAssociation>(std::move(in), o.created);
  return pair;
}

// One SA of the pair described by (suite, options): e.g. a fresh inbound SA for each hostile packet.
inline std::unique_ptr<ipsec::SecurityAssociation> make_sa(const Suite& suite, const SaOptions& o, Direction d) {
  return std::make_unique<ipsec::SecurityAssociation>(make_params(suite, o, d), o.created);
}

// The DS field (DSCP + ECN) of an IPv4 or IPv6 packet.
inline std::uint8_t ds_field(ByteView p) {
  if ((p[0] >> 4) == 4) return p[1];
  return static_cast<std::uint8_t>(((p[0] & 0x0F) << 4) | (p[1] >> 4));
}

// Inner packet suitable for the pair: tunnel mode between hosts of `inner` family behind the
// gateways; transport mode between the SA's own addresses (inner family = outer family).
inline Bytes inner_packet_for(const SaPair& pair, IpFamily inner, L4 kind, std::size_t payload_size,
                              std::uint32_t seed = 0) {
  if (pair.options.mode == Mode::Transport) return make_packet(pair.sender, pair.receiver, kind, payload_size, seed);
  return inner == IpFamily::V4 ? make_packet(v4_host_a(), v4_host_b(), kind, payload_size, seed)
                               : make_packet(v6_host_a(), v6_host_b(), kind, payload_size, seed);
}

inline Bytes inner_packet_for(const SaPair& pair, IpFamily inner, const PacketSpec& spec) {
  if (pair.options.mode == Mode::Transport) return build_packet(pair.sender, pair.receiver, spec);
  return inner == IpFamily::V4 ? build_packet(v4_host_a(), v4_host_b(), spec)
                               : build_packet(v6_host_a(), v6_host_b(), spec);
}

// ------------------------------------------------------------------ running the packet path

struct Processed {
  ipsec::PacketResult result;
  Bytes bytes;  // the output, resized to result.length
};

template <typename Fn>
Processed run_into_buffer(ByteView input, Fn&& fn) {
  Processed p;
  p.bytes.assign(input.size() + ipsec::kMaxEncapsulationOverhead, 0xEE);
  p.result = fn(MutableByteView(p.bytes));
  p.bytes.resize(p.result.ok ? p.result.length : 0);
  return p;
}

// ------------------------------------------------------------------ independent ESP builder

// The ESP plaintext for `payload` (RFC 4303 §2.4): padding 1, 2, 3, ... up to `alignment`, pad
// length, next header; `extra_pad` adds whole alignment units of padding.
inline Bytes esp_plaintext(ByteView payload, std::uint8_t next_header, std::size_t alignment, std::size_t extra_pad = 0) {
  Bytes p(payload.begin(), payload.end());
  std::size_t pad = (alignment - (payload.size() + 2) % alignment) % alignment + extra_pad;
  for (std::size_t i = 0; i < pad; ++i) p.push_back(static_cast<std::uint8_t>(i + 1));
  p.push_back(static_cast<std::uint8_t>(pad));
  p.push_back(next_header);
  return p;
}

// The outer headers the pair's outbound SA would use, in front of an ESP portion of esp_length
// bytes (tunnel: new header between the gateways; transport: `transport_header`, a copy of the
// original packet's header whose next-header byte is at next_header_offset).
struct Framing {
  Bytes prefix;            // IP header (+ UDP header)
  std::size_t esp_offset;  // = prefix.size()
};

inline Framing outer_framing(const SaPair& pair, std::size_t esp_length, ByteView transport_header = {},
                             std::size_t next_header_offset = 0) {
  const bool udp = pair.options.udp;
  const std::uint8_t proto = udp ? 17 : 50;
  Bytes prefix;
  if (transport_header.empty()) {
    if (pair.sender.is_v4()) {
      Ipv4Extras x;
      x.dont_fragment = false;
      prefix = ipv4_packet(pair.sender, pair.receiver, proto, {}, x);
    } else {
      prefix = ipv6_packet(pair.sender, pair.receiver, proto, {});
    }
  } else {
    prefix.assign(transport_header.begin(), transport_header.end());
    prefix.at(next_header_offset) = proto;
  }
  if (udp) {
    put16(prefix, pair.options.sender_port);
    put16(prefix, pair.options.receiver_port);
    put16(prefix, static_cast<std::uint16_t>(8 + esp_length));
    put16(prefix, 0);
  }
  return {prefix, prefix.size()};
}

// Builds a complete ESP packet from the pair's outbound keys: SPI, sequence number (low 32 bits on
// the wire, high 32 bits in the ICV/AAD when ESN), `iv` (default: 8 bytes of the sequence number
// for AEADs, a pattern for CBC), the given plaintext (payload + padding + trailer, not padded
// further) encrypted, and a valid ICV (truncated HMAC or AEAD tag). The IP length fields and, over
// IPv6, the UDP checksum are set. Use it to send packets with bad trailers that still authenticate.
inline Bytes craft_esp(const SaPair& pair, std::uint64_t seq, ByteView plaintext, std::size_t* esp_offset_out = nullptr,
                       std::optional<Bytes> iv_opt = std::nullopt, ByteView transport_header = {},
                       std::size_t next_header_offset = 0, std::optional<std::uint32_t> spi_opt = std::nullopt) {
  const Suite& s = pair.suite;
  const std::uint32_t spi = spi_opt.value_or(pair.options.spi);
  const bool esn = pair.options.esn;
  Bytes esp;
  put32(esp, spi);
  put32(esp, static_cast<std::uint32_t>(seq));
  Bytes iv;
  if (iv_opt) {
    iv = *iv_opt;
  } else if (is_aead(s)) {
    put32(iv, static_cast<std::uint32_t>(seq >> 32));
    put32(iv, static_cast<std::uint32_t>(seq));
  } else if (is_cbc(s)) {
    iv = pattern(esp_iv_length(s), static_cast<std::uint32_t>(seq) + 7);
  }
  append(esp, iv);
  const std::size_t icv_len = esp_icv_length(s);
  Bytes ciphertext(plaintext.size());
  Bytes icv(icv_len);
  if (is_aead(s)) {
    const std::size_t key_len = crypto::aead_key_length(s.encryption.aead);
    ByteView key(pair.encryption_key.data(), key_len);
    ByteView salt(pair.encryption_key.data() + key_len, 4);
    Bytes nonce = concat({salt, iv});
    Bytes aad;
    put32(aad, spi);
    if (esn) put32(aad, static_cast<std::uint32_t>(seq >> 32));
    put32(aad, static_cast<std::uint32_t>(seq));
    crypto::Aead aead(s.encryption.aead, key, s.encryption.aead_icv_length, crypto::AeadUse::Seal);
    if (!aead.seal(nonce, aad, plaintext, ciphertext, icv)) throw std::runtime_error("seal failed");
    append(esp, ciphertext);
    append(esp, icv);
  } else {
    if (is_cbc(s)) {
      crypto::CbcCipher cbc(s.encryption.cbc, pair.encryption_key);
      if (plaintext.size() % cbc.block_size() == 0) {
        if (!cbc.encrypt(iv, plaintext, ciphertext)) throw std::runtime_error("cbc failed");
      } else {
        ciphertext.assign(plaintext.begin(), plaintext.end());  // cannot be CBC: send as is
      }
    } else {
      ciphertext.assign(plaintext.begin(), plaintext.end());
    }
    append(esp, ciphertext);
    if (s.integrity) {
      crypto::Hmac hmac(crypto::integrity_hash(*s.integrity), pair.integrity_key);
      Bytes high;
      if (esn) put32(high, static_cast<std::uint32_t>(seq >> 32));
      if (!hmac.compute({esp, high}, icv)) throw std::runtime_error("hmac failed");
      append(esp, icv);
    }
  }
  Framing f = outer_framing(pair, esp.size(), transport_header, next_header_offset);
  Bytes packet = concat({f.prefix, esp});
  fix_ip_length(packet);
  if (pair.options.udp && !pair.sender.is_v4()) {
    const std::size_t udp_at = f.esp_offset - 8;
    ByteView src(packet.data() + 8, 16);
    ByteView dst(packet.data() + 24, 16);
    IpAddress a = IpAddress::v6(src), b = IpAddress::v6(dst);
    ByteView dgram(packet.data() + udp_at, packet.size() - udp_at);
    std::uint16_t c = inet_checksum({pseudo_header(a, b, 17, dgram.size()), dgram});
    set16(packet, udp_at + 6, c == 0 ? 0xFFFF : c);
  }
  if (esp_offset_out) *esp_offset_out = f.esp_offset;
  return packet;
}

}  // namespace cygnet::test
