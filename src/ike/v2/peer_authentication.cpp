#include "ike/v2/peer_authentication.hpp"

#include "crypto/error.hpp"
#include "ike/v2/authentication.hpp"

namespace cygnet::ike {

namespace ikev2 = wire::ikev2;

std::optional<ikev2::AuthPayload> make_auth_payload(const ConnectionSettings& conn, crypto::HashAlgorithm prf,
                                                    const std::vector<ikev2::SignatureHash>& peer_hashes,
                                                    ByteView octets) {
  ikev2::AuthPayload auth;
  if (conn.auth == AuthKind::Psk) {
    if (conn.psk.empty()) return std::nullopt;
    auth.method = ikev2::AuthMethod::SharedKeyMic;
    auth.data = psk_auth_data(prf, conn.psk.view(), octets);
    return auth;
  }
  if (!conn.private_key) return std::nullopt;
  auth.method = ikev2::AuthMethod::DigitalSignature;
  const crypto::HashAlgorithm hash = choose_signature_hash(peer_hashes, conn.private_key->type());
  auth.data = signature_auth_data(*conn.private_key, hash, octets);
  return auth;
}

std::vector<ikev2::Payload> our_certificate_payloads(const ConnectionSettings& conn) {
  std::vector<ikev2::Payload> out;
  if (conn.auth == AuthKind::PublicKey && conn.certificate)
    out.emplace_back(ikev2::CertPayload{ikev2::CertEncoding::X509Signature, conn.certificate->der()});
  return out;
}

std::optional<ikev2::CertReqPayload> our_certificate_request(const ConnectionSettings& conn) {
  if (conn.auth != AuthKind::PublicKey || conn.ca_certificates.empty()) return std::nullopt;
  ikev2::CertReqPayload req;
  for (const auto& ca : conn.ca_certificates) {
    const Bytes id = ca.spki_sha1();
    req.data.insert(req.data.end(), id.begin(), id.end());
  }
  return req;
}

// Chains longer than this are refused before any signature is checked (bad-input catalog row 9).
constexpr std::size_t kMaxIntermediates = 8;

std::optional<std::string> verify_peer(const ConnectionSettings& conn, const Identity& peer_id,
                                       const std::vector<ikev2::Payload>& payloads, const ikev2::AuthPayload& auth,
                                       crypto::HashAlgorithm prf, ByteView octets, crypto::WallClock at) {
  if (!conn.remote_id.matches(peer_id))
    return "peer ID " + peer_id.to_string() + " does not match remote_id " + conn.remote_id.to_string();
  if (conn.auth == AuthKind::Psk) {
    if (auth.method != ikev2::AuthMethod::SharedKeyMic)
      return "peer used AUTH method " + std::to_string(static_cast<int>(auth.method)) + ", we expect a PSK";
    if (!verify_psk_auth(prf, conn.psk.view(), octets, auth.data)) return "PSK mismatch (AUTH payload does not verify)";
    return std::nullopt;
  }
  if (auth.method != ikev2::AuthMethod::DigitalSignature)
    return "peer used AUTH method " + std::to_string(static_cast<int>(auth.method)) +
           ", we expect a digital signature (RFC 7427)";
  std::optional<crypto::Certificate> end_entity;
  std::vector<crypto::Certificate> intermediates;
  for (const auto& p : payloads) {
    const auto* cert = std::get_if<ikev2::CertPayload>(&p);
    if (!cert || cert->encoding != ikev2::CertEncoding::X509Signature) continue;
    auto parsed = crypto::Certificate::from_der(cert->data);
    if (!parsed) return std::string("peer sent a certificate that does not parse");
    if (!end_entity) {
      end_entity = std::move(parsed);
    } else if (intermediates.size() < kMaxIntermediates) {
      intermediates.push_back(std::move(*parsed));
    } else {
      return "peer sent more than " + std::to_string(kMaxIntermediates) + " intermediate certificates";
    }
  }
  if (!end_entity) return std::string("peer sent no certificate");
  const crypto::CertificateValidator validator(conn.ca_certificates);
  const crypto::ValidationResult valid = validator.validate(*end_entity, intermediates, at);
  if (!valid.ok) {
    if (valid.error.find("expired") != std::string::npos || valid.error.find("not yet valid") != std::string::npos)
      return valid.error + " (" + end_entity->subject_string() + ")";
    return "untrusted certificate: " + valid.error + " (" + end_entity->subject_string() + ")";
  }
  if (!certificate_matches_identity(*end_entity, peer_id))
    return "certificate " + end_entity->subject_string() + " does not entitle the peer to ID " + peer_id.to_string();
  std::optional<crypto::PublicKey> key;
  try {
    key = end_entity->public_key();
  } catch (const crypto::CryptoError&) {  // e.g. an Ed448 or P-224 key a CA signed
    return "certificate " + end_entity->subject_string() + " carries a key type Cygnet does not support";
  }
  const SignatureCheck check = verify_signature_auth(*key, auth.data, octets, conn.allow_legacy);
  if (!check.ok) return "AUTH signature of " + peer_id.to_string() + " does not verify: " + check.error;
  return std::nullopt;
}

}  // namespace cygnet::ike
