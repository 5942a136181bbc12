// Builds TCP/IPv4 and TCP/IPv6 packets for the offload tests, with checksums from a deliberately
// naive byte-at-a-time RFC 1071 implementation, so the code under test is checked against an
// independent one (and the scapy-made vectors in the tests check this one).
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"

namespace cygnet::wire::test {

inline std::uint16_t reference_sum(const Bytes& data) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    const std::uint32_t high = data[i];
    const std::uint32_t low = i + 1 < data.size() ? data[i + 1] : 0;
    sum += (high << 8) | low;
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(sum);
}

inline bool is_v4(const Bytes& packet) {
  return (packet[0] >> 4) == 4;
}
inline std::size_t ip_length(const Bytes& packet) {
  return is_v4(packet) ? 20 : 40;
}

// Pseudo-header + transport segment, summed and complemented, as the standards define it.
inline std::uint16_t reference_transport_checksum(const Bytes& packet, std::uint8_t protocol) {
  const std::size_t ip = ip_length(packet);
  Bytes pseudo;
  if (is_v4(packet)) {
    pseudo.assign(packet.begin() + 12, packet.begin() + 20);
    pseudo.push_back(0);
    pseudo.push_back(protocol);
    const std::size_t length = packet.size() - ip;
    pseudo.push_back(static_cast<std::uint8_t>(length >> 8));
    pseudo.push_back(static_cast<std::uint8_t>(length));
  } else {
    pseudo.assign(packet.begin() + 8, packet.begin() + 40);
    const std::size_t length = packet.size() - ip;
    for (int shift : {24, 16, 8, 0}) pseudo.push_back(static_cast<std::uint8_t>(length >> shift));
    pseudo.insert(pseudo.end(), {0, 0, 0, protocol});
  }
  pseudo.insert(pseudo.end(), packet.begin() + static_cast<std::ptrdiff_t>(ip), packet.end());
  return static_cast<std::uint16_t>(~reference_sum(pseudo));
}

inline bool ipv4_header_checksum_ok(const Bytes& packet) {
  return reference_sum(Bytes(packet.begin(), packet.begin() + 20)) == 0xFFFF;
}

inline std::uint16_t get16(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
inline std::uint32_t get32(const Bytes& b, std::size_t at) {
  return (std::uint32_t{get16(b, at)} << 16) | get16(b, at + 2);
}
inline void put16(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
inline void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  put16(b, at, v >> 16);
  put16(b, at + 2, v & 0xFFFF);
}

struct TcpSpec {
  bool v6 = false;
  std::uint16_t ipv4_id = 0x1000;
  std::uint32_t sequence = 1000;
  std::uint32_t ack = 5000;
  std::uint8_t flags = 0x10;  // ACK
  std::uint16_t window = 502;
  Bytes options{};          // multiple of 4
  std::size_t payload = 0;  // payload byte i is (payload_seed + i) & 0xFF
  std::uint8_t payload_seed = 0;
  std::uint8_t tos = 0;
};

// A complete, valid TCP segment: 198.51.100.1:40000 -> 203.0.113.1:5201 (or 2001:db8::1/::2).
inline Bytes tcp_packet(const TcpSpec& spec) {
  const std::size_t ip = spec.v6 ? 40 : 20;
  const std::size_t tcp = 20 + spec.options.size();
  Bytes p(ip + tcp + spec.payload, 0);
  if (spec.v6) {
    p[0] = 0x60;
    put16(p, 4, static_cast<std::uint32_t>(tcp + spec.payload));
    p[6] = 6;
    p[7] = 64;
    const Bytes src = from_hex("20010db8000000000000000000000001");
    const Bytes dst = from_hex("20010db8000000000000000000000002");
    std::copy(src.begin(), src.end(), p.begin() + 8);
    std::copy(dst.begin(), dst.end(), p.begin() + 24);
  } else {
    p[0] = 0x45;
    p[1] = spec.tos;
    put16(p, 2, static_cast<std::uint32_t>(p.size()));
    put16(p, 4, spec.ipv4_id);
    put16(p, 6, 0x4000);  // DF
    p[8] = 64;
    p[9] = 6;
    const Bytes addresses = from_hex("c6336401 cb007101");
    std::copy(addresses.begin(), addresses.end(), p.begin() + 12);
    put16(p, 10, static_cast<std::uint16_t>(~reference_sum(Bytes(p.begin(), p.begin() + 20))));
  }
  put16(p, ip, 40000);
  put16(p, ip + 2, 5201);
  put32(p, ip + 4, spec.sequence);
  put32(p, ip + 8, spec.ack);
  p[ip + 12] = static_cast<std::uint8_t>((tcp / 4) << 4);
  p[ip + 13] = spec.flags;
  put16(p, ip + 14, spec.window);
  std::copy(spec.options.begin(), spec.options.end(), p.begin() + static_cast<std::ptrdiff_t>(ip + 20));
  for (std::size_t i = 0; i < spec.payload; ++i) {
    p[ip + tcp + i] = static_cast<std::uint8_t>(spec.payload_seed + i);
  }
  put16(p, ip + 16, reference_transport_checksum(p, 6));
  return p;
}

}  // namespace cygnet::wire::test
