// Building blocks for the scenario tests: the two documentation-range gateways, their
// connections (PSK or certificates), a small PKI, and bidirectional traffic between the subnets.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/signature.hpp"
#include "crypto/x509.hpp"
#include "ike/connection_settings.hpp"
#include "sim/simulation.hpp"

namespace cygnet::sim {

// Gateway A protects 198.51.100.0/24, gateway B 203.0.113.0/24 (RFC 5737 ranges only).
struct Site {
  wire::IpAddress gateway;
  wire::IpPrefix subnet;
  wire::IpAddress host;  // a host inside the subnet that traffic is sent from/to
};
Site site_a();
Site site_b();

inline constexpr std::string_view kConnection = "site";
inline constexpr std::string_view kChild = "net";

// Parses a strongSwan proposal string; throws std::invalid_argument when it does not parse.
wire::ikev2::Proposal proposal(std::string_view text, wire::ikev2::ProtocolId protocol);

struct ConnectionOptions {
  std::string ike_proposal = "aes256gcm16-prfsha256-x25519";
  std::string esp_proposal = "aes256gcm16";
  ike::StartAction start_action = ike::StartAction::None;
  bool responder_only = false;  // remote_addrs empty (%any)
  Seconds dpd_delay{30};
  Seconds ike_lifetime{4 * 3600};
  Seconds child_lifetime{3600};
  std::string psk = "correct horse battery staple";
  // 1: negotiate with IKEv1 (Main Mode, then Quick Mode); the IKE proposal must then use a CBC
  // cipher, e.g. "aes256-sha256-modp2048".
  int ike_version = 2;
  bool aggressive = false;  // IKEv1: initiate with / accept Aggressive Mode
};

// A's or B's view of the A–B connection: local = `self`, remote = `peer`, PSK auth with address IDs.
ike::ConnectionSettings psk_connection(const Site& self, const Site& peer, const ConnectionOptions& options);

// --- certificates ------------------------------------------------------------------------------

struct CertificateAuthority {
  std::shared_ptr<crypto::PrivateKey> key;
  std::optional<crypto::Certificate> certificate;
};
struct Credentials {
  std::shared_ptr<const crypto::PrivateKey> key;
  std::optional<crypto::Certificate> certificate;
  std::string fqdn;  // the identity, also the certificate's subjectAltName dNSName
};

// Validity around the simulator's wall-clock origin (2026-01-01): 2025-01-01 .. 2028-01-01.
CertificateAuthority make_ca(crypto::KeyType type, std::string_view name);
// Issued by `ca`; `expired` makes it valid only during 2024.
Credentials make_leaf(const CertificateAuthority& ca, crypto::KeyType type, std::string_view fqdn,
                      bool expired = false);

// Like psk_connection, but public-key authentication with FQDN identities.
ike::ConnectionSettings cert_connection(const Site& self, const Site& peer, const Credentials& own,
                                        std::string_view peer_fqdn, const CertificateAuthority& trusted,
                                        const ConnectionOptions& options);

// --- a standard pair ---------------------------------------------------------------------------

struct Gateways {
  Node* a = nullptr;
  Node* b = nullptr;
};
// Engine options the scenarios share (deterministic jitter is still drawn from the seed).
ike::EngineOptions default_engine_options();
Gateways add_gateways(Simulation& sim, ike::ConnectionSettings a_connection, ike::ConnectionSettings b_connection,
                      const ike::EngineOptions& options = default_engine_options());

// Whether both ends report the CHILD SA established (cheap: looks at recorded events).
bool child_up_on_both(const Gateways& g);

// A flow A→B and a flow B→A between the subnets' hosts; returns {a_to_b, b_to_a}.
struct FlowPair {
  std::size_t a_to_b = 0;
  std::size_t b_to_a = 0;
};
FlowPair add_traffic(Simulation& sim, const Gateways& g, Duration interval, TimePoint start);

// Every event a node recorded, one per line with its time: printed when an assertion fails.
std::string event_log(const Node& node);
std::string event_log(const Gateways& g);
// True when `text` contains `word`, ignoring ASCII case.
bool contains_nocase(std::string_view text, std::string_view word);

// The retransmission schedule's total length: from the first send until the engine gives up.
Duration retransmission_budget(const ike::EngineOptions& options);

}  // namespace cygnet::sim
