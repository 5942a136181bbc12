#include "ike/v2/peer_authentication.hpp"

#include "crypto/error.hpp"
#include "ike/peer_certificate.hpp"
#include "ike/v2/authentication.hpp"

namespace cygnet::ike {

namespace ikev2 = wire::ikev2;

std::optional<ikev2::AuthPayload> make_auth_payload(const ConnectionSettings& conn, crypto::HashAlgorithm prf,
                                                    const std::vector<ikev2::SignatureHash>& peer_hashes,
                                                    ByteView octets) {
  ikev2::AuthPayload auth;
  const AuthMethod method = local_auth_method(conn);
  if (method == AuthMethod::EapMsChapV2) return std::nullopt;  // the MSK's AUTH: task_eap.cpp
  if (method == AuthMethod::Psk) {
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

std::vector<ikev2::Payload> our_certificate_payloads(const ConnectionSettings& conn,
                                                     const std::vector<ikev2::Payload>& peer_payloads) {
  // CERTREQ for X.509 carries concatenated 20-byte SHA-1 hashes of CA public keys (RFC 7296 §3.7).
  std::vector<Bytes> requested;
  constexpr std::size_t kHashSize = 20;
  for (const auto& p : peer_payloads) {
    const auto* req = std::get_if<ikev2::CertReqPayload>(&p);
    if (!req || req->encoding != ikev2::CertEncoding::X509Signature) continue;
    for (std::size_t i = 0; i + kHashSize <= req->data.size() && requested.size() < 64; i += kHashSize)
      requested.emplace_back(req->data.begin() + static_cast<std::ptrdiff_t>(i),
                             req->data.begin() + static_cast<std::ptrdiff_t>(i + kHashSize));
  }
  std::vector<ikev2::Payload> out;
  for (const crypto::Certificate& cert : certificates_to_send(conn, requested))
    out.emplace_back(ikev2::CertPayload{ikev2::CertEncoding::X509Signature, cert.der()});
  return out;
}

std::optional<ikev2::CertReqPayload> our_certificate_request(const ConnectionSettings& conn) {
  if (remote_auth_method(conn) != AuthMethod::PublicKey || conn.ca_certificates.empty()) return std::nullopt;
  ikev2::CertReqPayload req;
  for (const auto& ca : conn.ca_certificates) {
    const Bytes id = ca.spki_sha1();
    req.data.insert(req.data.end(), id.begin(), id.end());
  }
  return req;
}

std::optional<std::string> verify_peer(const ConnectionSettings& conn, const Identity& peer_id,
                                       const std::vector<ikev2::Payload>& payloads,
                                       const ikev2::AuthPayload& auth, crypto::HashAlgorithm prf,
                                       ByteView octets, crypto::WallClock at,
                                       std::vector<crypto::Certificate>* accepted_chain) {
  if (!conn.remote_id.matches(peer_id))
    return "peer ID " + peer_id.to_string() + " does not match remote_id " + conn.remote_id.to_string();
  const AuthMethod method = remote_auth_method(conn);
  if (is_eap(method)) return "the peer must authenticate with EAP (remote_auth), not AUTH";
  if (method == AuthMethod::Psk) {
    if (auth.method != ikev2::AuthMethod::SharedKeyMic)
      return "peer used AUTH method " + std::to_string(static_cast<int>(auth.method)) + ", we expect a PSK";
    if (!verify_psk_auth(prf, conn.psk.view(), octets, auth.data))
      return "PSK mismatch (AUTH payload does not verify)";
    return std::nullopt;
  }
  if (auth.method != ikev2::AuthMethod::DigitalSignature)
    return "peer used AUTH method " + std::to_string(static_cast<int>(auth.method)) +
           ", we expect a digital signature (RFC 7427)";
  std::vector<ByteView> ders;
  for (const auto& p : payloads) {
    const auto* cert = std::get_if<ikev2::CertPayload>(&p);
    if (cert && cert->encoding == ikev2::CertEncoding::X509Signature) ders.emplace_back(cert->data);
  }
  auto checked = check_peer_certificates(conn, ders, peer_id, at);
  if (auto* why = std::get_if<std::string>(&checked)) return std::move(*why);
  const crypto::PublicKey* key = &std::get<AcceptedPeerCertificate>(checked).key;
  const SignatureCheck check = verify_signature_auth(*key, auth.data, octets, conn.allow_legacy);
  if (!check.ok) return "AUTH signature of " + peer_id.to_string() + " does not verify: " + check.error;
  // Revocation is decided afterwards (revocation_checker.hpp), only for a peer that proved its key.
  if (accepted_chain) *accepted_chain = std::move(std::get<AcceptedPeerCertificate>(checked).chain);
  return std::nullopt;
}

}  // namespace cygnet::ike
