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
  static std::optional<Certificate> from_pem(std::string_view pem);  // the first certificate
  static std::vector<Certificate> all_from_pem(std::string_view pem);  // a bundle

  Bytes der() const;
  PublicKey public_key() const;
  // RFC 4514 string, e.g. "CN=gw.example.com,O=Example" (for logs, status and identity matching).
  std::string subject_string() const;
  Bytes subject_der() const;  // DER Name (IKE ID type DER_ASN1_DN compares these)
  std::vector<std::string> dns_names() const;    // subjectAltName dNSName
  std::vector<std::string> email_names() const;  // subjectAltName rfc822Name
  std::vector<Bytes> ip_addresses() const;       // subjectAltName iPAddress (4 or 16 bytes)
  WallClock not_before() const;
  WallClock not_after() const;
  bool is_ca() const;
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
  std::string error;  // OpenSSL's verify error in words, e.g. "certificate has expired"
};

// Trusted CAs; validates end-entity + intermediates (chain, signatures, validity at `at`, CA
// basic constraints). Revocation is not checked (no CRL/OCSP fetching in a sans-I/O core).
class CertificateValidator {
 public:
  explicit CertificateValidator(std::vector<Certificate> trusted_cas);
  ValidationResult validate(const Certificate& end_entity,
                            const std::vector<Certificate>& intermediates, WallClock at) const;
  const std::vector<Certificate>& trusted() const { return cas_; }

 private:
  std::vector<Certificate> cas_;
};

// Builds certificates for tests and examples (a self-signed CA, a leaf signed by it). Not used by
// the daemon at run time.
struct CertificateSpec {
  std::string common_name;                  // subject CN
  std::string organization = "Cygnet Test";
  std::vector<std::string> dns_names;       // subjectAltName entries
  std::vector<std::string> email_names;
  std::vector<std::string> ip_addresses;    // textual, "192.0.2.1"
  WallClock not_before;
  WallClock not_after;
  bool is_ca = false;
};
Certificate issue_certificate(const CertificateSpec& spec, const PublicKey& subject_key,
                              const PrivateKey& issuer_key,
                              const Certificate* issuer /* nullptr = self-signed */);

}  // namespace cygnet::crypto
