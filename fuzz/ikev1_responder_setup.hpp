// The IKEv1 responder the fuzz_ikev1_responder target attacks: two ike_version = 1 PSK connections
// (one for Main Mode, one that accepts Aggressive Mode from its own peer address), deterministic
// randomness and time. The seed corpus was recorded against this very responder (same cookies,
// nonces and, with the seeded RandomSource, Diffie-Hellman keys), so a recorded exchange replays
// past the first message into the encrypted ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ike/algorithms.hpp"
#include "ike/engine.hpp"
#include "ike_responder_setup.hpp"

namespace cygnet::fuzz {

inline constexpr std::uint64_t kIkev1ResponderSeed = 0x1CE5EED1;

// The Main Mode peer is initiator_address(); the Aggressive Mode peer has its own address, because
// a Main Mode responder has only the address to choose the PSK by.
inline wire::IpAddress aggressive_initiator_address() {
  return *wire::IpAddress::parse("192.0.2.3");
}

inline wire::ikev2::Proposal ikev1_fuzz_proposal(std::string_view text, wire::ikev2::ProtocolId protocol,
                                                 std::uint8_t number) {
  wire::ikev2::Proposal p = *ike::parse_proposal(text, protocol, false).proposal;
  p.number = number;
  return p;
}

inline crypto::SecureBytes ikev1_fuzz_psk(std::string_view text) {
  return crypto::SecureBytes(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

// Main Mode, PSK, address identities; two phase-1 proposals and two ESP proposals (AEAD, and
// CBC+HMAC with PFS), so that both code paths are reachable.
inline ike::ConnectionSettings ikev1_fuzz_main_connection(bool responder) {
  ike::ConnectionSettings c;
  c.name = "fuzz-main";
  c.ike_version = 1;
  const wire::IpAddress self = responder ? responder_address() : initiator_address();
  const wire::IpAddress peer = responder ? initiator_address() : responder_address();
  c.local_addrs = {self};
  c.remote_addrs = {peer};
  c.local_id = ike::Identity::from_address(self);
  c.remote_id = ike::Identity::from_address(peer);
  c.auth = ike::AuthKind::Psk;
  c.psk = ikev1_fuzz_psk("fuzzing main mode is fun");
  c.ike_proposals = {ikev1_fuzz_proposal("aes256-sha256-modp2048", wire::ikev2::ProtocolId::Ike, 1),
                     ikev1_fuzz_proposal("aes128-sha256-ecp256", wire::ikev2::ProtocolId::Ike, 2)};
  c.dpd_delay = std::chrono::seconds(30);
  ike::ChildSettings child;
  child.name = "net";
  child.local_ts = {*wire::IpPrefix::parse(responder ? "203.0.113.0/24" : "198.51.100.0/24")};
  child.remote_ts = {*wire::IpPrefix::parse(responder ? "198.51.100.0/24" : "203.0.113.0/24")};
  child.proposals = {ikev1_fuzz_proposal("aes256gcm16", wire::ikev2::ProtocolId::Esp, 1),
                     ikev1_fuzz_proposal("aes128-sha256-ecp256", wire::ikev2::ProtocolId::Esp, 2)};
  child.lifetime = std::chrono::seconds(600);
  c.children.push_back(std::move(child));
  return c;
}

// Aggressive Mode, PSK, FQDN identities (sent in the clear in the first message).
inline ike::ConnectionSettings ikev1_fuzz_aggressive_connection(bool responder) {
  ike::ConnectionSettings c;
  c.name = "fuzz-aggressive";
  c.ike_version = 1;
  c.aggressive = true;
  const wire::IpAddress self = responder ? responder_address() : aggressive_initiator_address();
  const wire::IpAddress peer = responder ? aggressive_initiator_address() : responder_address();
  c.local_addrs = {self};
  c.remote_addrs = {peer};
  c.local_id = *ike::Identity::parse(responder ? "responder.example.com" : "roadwarrior.example.com");
  c.remote_id = *ike::Identity::parse(responder ? "roadwarrior.example.com" : "responder.example.com");
  c.auth = ike::AuthKind::Psk;
  c.psk = ikev1_fuzz_psk("fuzzing aggressive mode is fun");
  c.ike_proposals = {ikev1_fuzz_proposal("aes128-sha256-modp2048", wire::ikev2::ProtocolId::Ike, 1)};
  c.dpd_delay = std::chrono::seconds(30);
  ike::ChildSettings child;
  child.name = "host";
  child.local_ts = {*wire::IpPrefix::parse(responder ? "203.0.113.0/24" : "192.0.2.3/32")};
  child.remote_ts = {*wire::IpPrefix::parse(responder ? "192.0.2.3/32" : "203.0.113.0/24")};
  child.proposals = {ikev1_fuzz_proposal("aes128-sha256", wire::ikev2::ProtocolId::Esp, 1)};
  child.lifetime = std::chrono::seconds(600);
  c.children.push_back(std::move(child));
  return c;
}

inline std::vector<ike::ConnectionSettings> ikev1_fuzz_connections(bool responder) {
  return {ikev1_fuzz_main_connection(responder), ikev1_fuzz_aggressive_connection(responder)};
}

}  // namespace cygnet::fuzz
