// Certificates and certificate connections for engine tests: CA hierarchies issued on the fly
// (ECDSA P-256 keys unless the test brings its own), valid from an hour ago for a day.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/x509.hpp"
#include "unit/ike/engine_harness.hpp"

namespace cygnet::ike::test {

struct IssuedCertificate {
  std::shared_ptr<crypto::PrivateKey> key;
  crypto::Certificate certificate;
};

// A leaf (not `is_ca`) also names `cn` as its DNS subjectAltName.
inline crypto::CertificateSpec certificate_spec(std::string cn, bool is_ca) {
  const auto now = std::chrono::system_clock::now();
  crypto::CertificateSpec s;
  s.common_name = cn;
  if (!is_ca) s.dns_names = {cn};
  s.is_ca = is_ca;
  s.not_before = now - std::chrono::hours(1);
  s.not_after = now + std::chrono::hours(24);
  return s;
}

// Self-signed when `issuer` is null; `key` is the subject's (a fresh P-256 key when null).
inline IssuedCertificate issue(const crypto::CertificateSpec& s, const IssuedCertificate* issuer,
                               std::shared_ptr<crypto::PrivateKey> key = nullptr) {
  if (!key)
    key = std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256));
  crypto::Certificate cert =
      issuer ? crypto::issue_certificate(s, key->public_key(), *issuer->key, &issuer->certificate)
             : crypto::issue_certificate(s, key->public_key(), *key, nullptr);
  return {key, cert};
}

// Connection "site" from `local` to `remote` with auth = "pubkey" (IKEv1: aes256-sha256-modp2048):
// we are `self` with `own` and our intermediates `chain`, the peer must be `peer` under `trusted`.
inline ConnectionSettings certificate_connection(int version, std::string_view local, std::string_view remote,
                                                 std::string_view self, std::string_view peer,
                                                 const IssuedCertificate& own,
                                                 std::vector<crypto::Certificate> chain,
                                                 std::vector<crypto::Certificate> trusted) {
  ConnectionSettings c = version == 1
                             ? psk_connection("site", local, remote, "unused", "aes256-sha256-modp2048")
                             : psk_connection("site", local, remote);
  c.ike_version = version;
  c.auth = AuthKind::PublicKey;
  c.psk = {};
  c.private_key = own.key;
  c.certificate = own.certificate;
  c.certificate_chain = std::move(chain);
  c.ca_certificates = std::move(trusted);
  c.local_id = *Identity::parse(self);
  c.remote_id = *Identity::parse(peer);
  return c;
}

}  // namespace cygnet::ike::test
