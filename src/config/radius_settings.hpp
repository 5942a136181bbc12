// [radius]: the RADIUS servers an EAP-RADIUS gateway relays EAP to (RFC 3579) and sends
// accounting to (RFC 2866). Shaped like strongSwan's eap-radius plugin (servers with an auth and
// an accounting port, one shared secret, retransmission timeout and tries, NAS-Identifier,
// accounting on/off and an interim interval). docs/configuration.md describes each key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "crypto/secure_bytes.hpp"

namespace cygnet::config {

struct RadiusServer {
  std::string address;             // an IPv4 or IPv6 address (no host names: no blocking lookups)
  std::uint16_t port = 1812;       // Access-Request
  std::uint16_t acct_port = 1813;  // Accounting-Request
};

// radcli keeps secrets in fixed buffers of this size (MAX_SECRET_LENGTH in its sendserver.c).
inline constexpr std::size_t kMaxRadiusSecretLength = 96;
// radcli's SERVER_MAX: the most servers one of its server lists holds.
inline constexpr std::size_t kMaxRadiusServers = 8;

struct RadiusSettings {
  std::vector<RadiusServer> servers;  // tried in order; the next one when a server does not answer
  crypto::SecureBytes secret;         // shared with every server; never logged
  Seconds timeout{3};                 // per try, before a retransmission
  unsigned retries = 2;               // retransmissions per server before failing over
  std::string nas_identifier = "cygnet";
  bool accounting = false;      // Accounting-Request Start / Interim-Update / Stop
  Seconds interim_interval{0};  // 0 = no Interim-Update
};

}  // namespace cygnet::config
