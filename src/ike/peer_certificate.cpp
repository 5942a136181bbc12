#include "ike/peer_certificate.hpp"

#include <algorithm>
#include <functional>

#include "crypto/certificate_checks.hpp"
#include "crypto/error.hpp"

namespace cygnet::ike {

std::variant<AcceptedPeerCertificate, std::string> check_peer_certificates(
    const ConnectionSettings& conn, const std::vector<ByteView>& certificate_ders, const Identity& peer_id,
    crypto::WallClock at) {
  if (certificate_ders.empty()) return std::string("peer sent no certificate");
  // Refused before any of them is parsed or checked (bad-input catalog row 9, overlong chains).
  if (certificate_ders.size() - 1 > crypto::kMaxIntermediates)
    return "untrusted certificate: chain too long: peer sent " + std::to_string(certificate_ders.size() - 1) +
           " intermediate certificates (at most " + std::to_string(crypto::kMaxIntermediates) + ")";
  std::vector<crypto::Certificate> sent;
  for (std::size_t i = 0; i < certificate_ders.size(); ++i) {
    auto parsed = crypto::Certificate::from_der(certificate_ders[i]);
    if (!parsed)
      return "peer sent a certificate that does not parse (CERT payload " + std::to_string(i + 1) + " of " +
             std::to_string(certificate_ders.size()) + ")";
    sent.push_back(std::move(*parsed));
  }
  const crypto::Certificate end_entity = sent.front();
  const std::vector<crypto::Certificate> intermediates(sent.begin() + 1, sent.end());
  const crypto::ValidationResult valid =
      crypto::CertificateValidator(conn.ca_certificates).validate(end_entity, intermediates, at);
  if (!valid.ok) return valid.check == "validity" ? valid.error : "untrusted certificate: " + valid.error;
  if (auto why = crypto::check_ike_key_usage(end_entity)) return *why;
  if (!certificate_matches_identity(end_entity, peer_id))
    return "certificate " + end_entity.subject_string() + " does not entitle the peer to ID " +
           peer_id.to_string() + " (the ID must be the certificate's subject or one of its subjectAltNames)";
  try {
    crypto::PublicKey key = end_entity.public_key();
    return AcceptedPeerCertificate{end_entity, valid.chain, std::move(key)};
  } catch (const crypto::CryptoError&) {  // e.g. an Ed448 or P-224 key a CA signed
    return "certificate " + end_entity.subject_string() + " carries a key type Cygnet does not support";
  }
}

std::string certificate_failure_fix(std::string_view why) {
  const auto has = [why](std::string_view s) { return why.find(s) != std::string_view::npos; };
  // Revocation first (revocation_checker.cpp words these; "expired" may name a CRL, not the certificate).
  if (has(" revoked at ")) return "the peer's certificate is revoked: the peer needs a new certificate";
  if (has("no CRL distribution point or OCSP responder"))
    return "add an [authorities] table with crl_uris or ocsp_uris for the peer's CA, or use revocation = "
           "\"ifuri\"";
  if (has("revocation status unknown"))
    return "make the CRL / OCSP server reachable from this gateway and have it publish current data (an "
           "expired CRL proves nothing), or accept an unknown status with revocation = \"relaxed\"";
  if (has("expired") || has("not yet valid"))
    return "the peer's certificate is outside its validity period: renew it (or check both clocks)";
  if (has("lacks digitalSignature"))
    return "reissue the peer's certificate with keyUsage digitalSignature (or without keyUsage)";
  if (has("extendedKeyUsage"))
    return "reissue the peer's certificate with extendedKeyUsage serverAuth, clientAuth or ipsecIKE (or "
           "without "
           "extendedKeyUsage)";
  if (has("chain too long"))
    return "shorten the peer's chain to at most " + std::to_string(crypto::kMaxIntermediates) +
           " intermediate CAs, or have it send only the ones that lead to our CA";
  if (has("not a CA"))
    return "the peer's chain passes through a certificate that is not a CA: reissue it from a real CA "
           "certificate";
  if (has("does not parse"))
    return "the peer sends a certificate that is not valid DER X.509: check its certificate file";
  if (has("key type")) return "give the peer an RSA, ECDSA (P-256/384/521) or Ed25519 key";
  return "the peer's certificate does not chain to our cacerts: add its root CA to ca_certificates (an "
         "intermediate "
         "CA alone is not a trust anchor), have the peer send its intermediates, or give the peer a "
         "certificate "
         "from ours";
}

namespace {

// The leaf, then our intermediates when the peer asked for nothing (`asked_for_any` false) or
// `requested` names a CA our chain leads to: one of our intermediates, or a configured CA that
// issued the last of them.
std::vector<crypto::Certificate> our_chain_for(
    const ConnectionSettings& conn, bool asked_for_any,
    const std::function<bool(const crypto::Certificate&)>& requested) {
  std::vector<crypto::Certificate> out;
  if (local_auth_method(conn) != AuthMethod::PublicKey || !conn.certificate) return out;
  out.push_back(*conn.certificate);
  if (conn.certificate_chain.empty()) return out;
  bool wanted = !asked_for_any;
  for (const crypto::Certificate& link : conn.certificate_chain) wanted = wanted || requested(link);
  for (const crypto::Certificate& ca : conn.ca_certificates)
    wanted = wanted || (requested(ca) && conn.certificate_chain.back().issued_by(ca));
  if (wanted) out.insert(out.end(), conn.certificate_chain.begin(), conn.certificate_chain.end());
  return out;
}

}  // namespace

std::vector<crypto::Certificate> certificates_to_send(const ConnectionSettings& conn,
                                                      const std::vector<Bytes>& requested_ca_key_hashes) {
  return our_chain_for(conn, !requested_ca_key_hashes.empty(), [&](const crypto::Certificate& ca) {
    return std::find(requested_ca_key_hashes.begin(), requested_ca_key_hashes.end(), ca.spki_sha1()) !=
           requested_ca_key_hashes.end();
  });
}

std::vector<crypto::Certificate> certificates_to_send_by_name(const ConnectionSettings& conn,
                                                              const std::vector<Bytes>& requested_ca_names) {
  // An empty name asks for any CA (RFC 2408 §3.10): like no request at all.
  const bool any_name = std::any_of(requested_ca_names.begin(), requested_ca_names.end(),
                                    [](const Bytes& name) { return name.empty(); });
  return our_chain_for(conn, !requested_ca_names.empty() && !any_name, [&](const crypto::Certificate& ca) {
    return std::find(requested_ca_names.begin(), requested_ca_names.end(), ca.subject_der()) !=
           requested_ca_names.end();
  });
}

}  // namespace cygnet::ike
