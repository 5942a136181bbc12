// IKE identities (RFC 7296 §3.5): IPv4/IPv6 address, FQDN, RFC 822 address or X.500 DN, parsed
// from the configuration's text and compared with what a peer sends.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/x509.hpp"
#include "wire/ikev2_message.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::ike {

struct Identity {
  wire::ikev2::IdType type = wire::ikev2::IdType::Ipv4Address;
  Bytes data;        // as carried in IDi/IDr: 4/16 address bytes, ASCII name, or DER Name
  bool any = false;  // "%any": matches every identity (a responder's remote_id)

  // "192.0.2.1" → IPv4, "2001:db8::1" → IPv6, "user@example.com" → RFC822, text with '=' such as
  // "CN=gw.example.com, O=Example" → DER DN, "%any" → any, anything else → FQDN. nullopt on an
  // empty string or a DN that does not parse.
  static std::optional<Identity> parse(std::string_view text);
  static Identity from_address(const wire::IpAddress& address);
  static Identity from_payload(const wire::ikev2::IdPayload& payload);
  wire::ikev2::IdPayload to_payload() const;

  std::string to_string() const;  // for status and events: "192.0.2.1", "CN=gw, O=Example", ...
  // Whether a peer's identity satisfies this configured one (any, or the same type and value;
  // DNs compared as canonical DER).
  bool matches(const Identity& peer) const;
  friend bool operator==(const Identity&, const Identity&) = default;
};

// Whether a certificate is entitled to an identity (RFC 4945 §3.1 as strongSwan applies it): an
// address, FQDN or RFC822 identity must appear in subjectAltName; a DN must equal the subject.
bool certificate_matches_identity(const crypto::Certificate& certificate, const Identity& identity);

}  // namespace cygnet::ike
