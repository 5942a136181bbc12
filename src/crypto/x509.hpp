// X.509 certificates for IKE: parse PEM/DER, read the subject and subjectAltNames, and validate a
// peer's chain against configured CA certificates at a time the caller passes in (no clock reads).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/signature.hpp"

namespace cygnet::crypto {

using WallClock = std::chrono::system_clock::time_point;

class Certificate {
 public:
  ~Certificate();
  Certificate(const Certificate&);  // shares the X509 (reference counted)
  Certificate& operator=(const Certificate&);
  Certificate(Certificate&&) noexcept;
  Certificate& operator=(Certificate&&) noexcept;

  static std::optional<Certificate> from_der(ByteView der);
  static std::optional<Certificate> from_pem(std::string_view pem);    // the first certificate
  static std::vector<Certificate> all_from_pem(std::string_view pem);  // a bundle

  Bytes der() const;
  PublicKey public_key() const;
  // RFC 4514 string, e.g. "CN=gw.example.com,O=Example" (for logs, status and identity matching).
  std::string subject_string() const;
  Bytes subject_der() const;                     // DER Name (IKE ID type DER_ASN1_DN compares these)
  std::vector<std::string> dns_names() const;    // subjectAltName dNSName
  std::vector<std::string> email_names() const;  // subjectAltName rfc822Name
  std::vector<Bytes> ip_addresses() const;       // subjectAltName iPAddress (4 or 16 bytes)
  WallClock not_before() const;
  WallClock not_after() const;
  bool is_ca() const;
  bool is_self_signed() const;                      // issuer = subject and its own key verifies it: a root
  bool issued_by(const Certificate& issuer) const;  // names, key identifiers and signature agree
  std::string issuer_string() const;                // RFC 4514, like subject_string()
  std::string serial_hex() const;                   // upper-case hex, as `openssl x509 -serial` prints it
  std::vector<std::string> crl_uris() const;        // CRL distribution points (URI full names)
  std::vector<std::string> ocsp_uris() const;       // authorityInfoAccess OCSP responders
  // SHA-1 of the DER SubjectPublicKeyInfo: what IKEv2 CERTREQ carries for a CA (RFC 7296 §3.7).
  Bytes spki_sha1() const;

  struct Impl;
  explicit Certificate(std::shared_ptr<Impl> impl);
  const std::shared_ptr<Impl>& impl() const { return impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

struct ValidationResult {
  bool ok = false;
  // In words, naming the certificate that failed and what would have passed, e.g.
  // "certificate has expired: CN=gw.example.com,O=Example (valid until 2025-01-01 00:00:00 UTC)"
  // or "no path to a configured CA: peer sent CN=a (issuer CN=b); configured CAs: CN=root".
  std::string error;
  std::string check;               // the check that failed: "validity", "issuer", "basicConstraints", ...
  std::string certificate;         // subject of the certificate that failed it
  std::vector<Certificate> chain;  // when ok: end entity first, trust anchor last
};

// The longest chain accepted between the end entity and the trust anchor (bad-input catalog row 9,
// "overlong chains"): more intermediates than this are refused before signatures are checked.
constexpr std::size_t kMaxIntermediates = 8;

// Validates an end entity against configured CAs at a time the caller passes (no clock reads):
// chain, signatures, validity, CA basic constraints, chain length. Only the configured CAs that
// are self-signed roots are trust anchors; a configured CA that is itself issued by another CA, and
// every intermediate the peer sends, is only a link that must lead to such a root (no
// PARTIAL_CHAIN: an intermediate never ends the path on its own). Revocation is checked separately
// (crypto/revocation.hpp), as its data comes from outside.
class CertificateValidator {
 public:
  explicit CertificateValidator(std::vector<Certificate> trusted_cas);
  ValidationResult validate(const Certificate& end_entity, const std::vector<Certificate>& intermediates,
                            WallClock at) const;
  const std::vector<Certificate>& trusted() const { return cas_; }

 private:
  std::vector<Certificate> cas_;
};

// Builds certificates for tests and examples (a self-signed CA, a leaf signed by it). Not used by
// the daemon at run time.
struct CertificateSpec {
  std::string common_name;  // subject CN
  std::string organization = "Cygnet Test";
  std::vector<std::string> dns_names;  // subjectAltName entries
  std::vector<std::string> email_names;
  std::vector<std::string> ip_addresses;  // textual, "192.0.2.1"
  WallClock not_before;
  WallClock not_after;
  bool is_ca = false;
  // keyUsage as `openssl x509` extension text ("critical,digitalSignature"); empty = the default
  // for the role (CA: keyCertSign, cRLSign, digitalSignature; leaf: digitalSignature); "none" = omitted.
  std::string key_usage = {};
  std::string extended_key_usage = {};      // e.g. "serverAuth,1.3.6.1.5.5.7.3.17"; empty = omitted
  std::vector<std::string> crl_uris = {};   // CRL distribution points
  std::vector<std::string> ocsp_uris = {};  // authorityInfoAccess OCSP responders
};
Certificate issue_certificate(const CertificateSpec& spec, const PublicKey& subject_key,
                              const PrivateKey& issuer_key,
                              const Certificate* issuer /* nullptr = self-signed */);

}  // namespace cygnet::crypto
