// IKE_AUTH authentication for both roles: building our AUTH (and CERT) payloads, and verifying the
// peer's AUTH with its certificate chain, identity and the connection's expectations. Failures are
// reported in words for the AuthenticationFailed event.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/x509.hpp"
#include "ike/connection_settings.hpp"
#include "ike/identity.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

// Our AUTH payload over `octets` (PSK or RFC 7427 signature). nullopt when the connection lacks
// the PSK or private key it needs.
std::optional<wire::ikev2::AuthPayload> make_auth_payload(
    const ConnectionSettings& conn, crypto::HashAlgorithm prf,
    const std::vector<wire::ikev2::SignatureHash>& peer_hashes, ByteView octets);

// Certificate payloads we send: our end-entity certificate, then our intermediates unless the
// peer's CERTREQ payloads (`peer_payloads`) ask only for CAs our chain does not lead to.
std::vector<wire::ikev2::Payload> our_certificate_payloads(
    const ConnectionSettings& conn, const std::vector<wire::ikev2::Payload>& peer_payloads = {});
// CERTREQ for our trust anchors (SHA-1 of each CA's SubjectPublicKeyInfo).
std::optional<wire::ikev2::CertReqPayload> our_certificate_request(const ConnectionSettings& conn);

// Verifies the peer: nullopt when authentic, otherwise why not ("PSK mismatch (AUTH payload does
// not verify)", "certificate has expired", "untrusted certificate: ...", "peer ID ... does not
// match remote_id ...").
std::optional<std::string> verify_peer(const ConnectionSettings& conn, const Identity& peer_id,
                                       const std::vector<wire::ikev2::Payload>& payloads,
                                       const wire::ikev2::AuthPayload& auth, crypto::HashAlgorithm prf,
                                       ByteView octets, crypto::WallClock at,
                                       std::vector<crypto::Certificate>* accepted_chain = nullptr);

}  // namespace cygnet::ike
