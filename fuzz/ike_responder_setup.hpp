// The responder the fuzz_ike_responder target attacks: one PSK connection, deterministic
// randomness and time. Shared with the program that recorded its seed corpus against this very
// responder (same SPI and nonce).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "ike/algorithms.hpp"
#include "ike/engine.hpp"

namespace cygnet::fuzz {

inline constexpr std::uint64_t kResponderSeed = 0x1CE5EED;
inline TimePoint ike_fuzz_time() {
  return TimePoint{} + std::chrono::hours(1000);
}

inline wire::IpAddress responder_address() {
  return *wire::IpAddress::parse("192.0.2.2");
}
inline wire::IpAddress initiator_address() {
  return *wire::IpAddress::parse("192.0.2.1");
}

inline ike::EngineOptions ike_fuzz_options() {
  ike::EngineOptions o;
  o.wall_origin = std::chrono::system_clock::time_point{} + std::chrono::seconds(1767225600);  // 2026-01-01
  o.steady_origin = ike_fuzz_time();
  o.cookie_threshold = 1000;  // the fuzzer should reach the exchanges, not just cookies
  return o;
}

// One side of the fuzzing pair (the initiator side only builds seeds).
inline ike::ConnectionSettings ike_fuzz_connection(bool responder) {
  ike::ConnectionSettings c;
  c.name = "fuzz";
  const wire::IpAddress self = responder ? responder_address() : initiator_address();
  const wire::IpAddress peer = responder ? initiator_address() : responder_address();
  c.local_addrs = {self};
  c.remote_addrs = {peer};
  c.local_id = ike::Identity::from_address(self);
  c.remote_id = ike::Identity::from_address(peer);
  c.auth = ike::AuthKind::Psk;
  constexpr std::string_view psk = "fuzzing is fun";
  c.psk = crypto::SecureBytes(ByteView(reinterpret_cast<const std::uint8_t*>(psk.data()), psk.size()));
  // Two IKE proposals (AEAD and CBC+HMAC) and two ESP proposals, so both code paths are reachable.
  c.ike_proposals = {
      *ike::parse_proposal("aes256gcm16-prfsha256-x25519", wire::ikev2::ProtocolId::Ike, false).proposal,
      *ike::parse_proposal("aes128-sha256-ecp256", wire::ikev2::ProtocolId::Ike, false).proposal};
  c.ike_proposals[1].number = 2;
  c.dpd_delay = std::chrono::seconds(30);
  ike::ChildSettings child;
  child.name = "net";
  child.local_ts = {*wire::IpPrefix::parse(responder ? "203.0.113.0/24" : "198.51.100.0/24")};
  child.remote_ts = {*wire::IpPrefix::parse(responder ? "198.51.100.0/24" : "203.0.113.0/24")};
  child.proposals = {
      *ike::parse_proposal("aes256gcm16", wire::ikev2::ProtocolId::Esp, false).proposal,
      *ike::parse_proposal("aes128-sha256-x25519", wire::ikev2::ProtocolId::Esp, false).proposal};
  child.proposals[1].number = 2;
  child.lifetime = std::chrono::seconds(600);
  c.children.push_back(std::move(child));
  return c;
}

// The datagrams one fuzz input carries after its option byte: all of `rest`, or (`several`) up to
// 16 pieces each prefixed by a 2-byte big-endian length (a length past the end takes the rest).
inline std::vector<ByteView> split_datagrams(ByteView rest, bool several) {
  std::vector<ByteView> out;
  if (!several) {
    out.push_back(rest);
    return out;
  }
  while (rest.size() >= 2 && out.size() < 16) {
    const std::size_t length = std::min<std::size_t>((std::size_t{rest[0]} << 8) | rest[1], rest.size() - 2);
    out.push_back(rest.subspan(2, length));
    rest = rest.subspan(2 + length);
  }
  return out;
}

}  // namespace cygnet::fuzz
