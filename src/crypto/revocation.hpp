// Revocation data for X.509 certificates, verified with OpenSSL: CRLs (RFC 5280 §5) and OCSP
// (RFC 6960) requests and responses. Pure functions over bytes and a time the caller passes: the
// fetching (HTTP from a CRL distribution point or an OCSP responder) happens elsewhere, so these
// run unchanged in the daemon, the engine and tests.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/signature.hpp"
#include "crypto/x509.hpp"

namespace cygnet::crypto {

enum class RevocationStatus {
  Good,     // proven not revoked by fresh, correctly signed data
  Revoked,  // listed as revoked
  Unknown,  // no usable answer: expired CRL, bad signature, other issuer, responder said unknown, ...
};
const char* revocation_status_name(RevocationStatus status);

struct RevocationVerdict {
  RevocationStatus status = RevocationStatus::Unknown;
  // In words, naming the certificate and the source: "CN=gw revoked at 2026-01-02 03:04:05 UTC
  // per CRL from http://…", "CRL from http://… expired at …: treated as unknown".
  std::string detail;
  std::optional<WallClock> revoked_at;
  // Until when the answer may be cached: the CRL's or OCSP response's nextUpdate.
  std::optional<WallClock> next_update;
};

class Crl {
 public:
  ~Crl();
  Crl(const Crl&);
  Crl& operator=(const Crl&);
  Crl(Crl&&) noexcept;
  Crl& operator=(Crl&&) noexcept;

  // DER or PEM ("-----BEGIN X509 CRL-----"), as distribution points serve either.
  static std::optional<Crl> parse(ByteView data);
  Bytes der() const;
  std::string issuer_string() const;
  WallClock this_update() const;
  std::optional<WallClock> next_update() const;

  struct Impl;
  explicit Crl(std::shared_ptr<Impl> impl);
  const std::shared_ptr<Impl>& impl() const { return impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

// `certificate` against `crl` from `source` (a URI, for the words): the CRL must be issued by
// `issuer` (name and signature), current at `at` (thisUpdate ≤ at < nextUpdate; an expired CRL
// proves nothing: Unknown), and then the serial decides Revoked or Good.
RevocationVerdict check_crl(const Certificate& certificate, const Certificate& issuer, const Crl& crl,
                            WallClock at, std::string_view source);

// An OCSP request (DER) for `certificate` issued by `issuer`, with `nonce` (RFC 6960 §4.4.1;
// 16 random bytes is usual).
Bytes make_ocsp_request(const Certificate& certificate, const Certificate& issuer, ByteView nonce);

// An OCSP response (DER) from `source`: successful, signed by `issuer` itself or by a responder
// certificate `issuer` issued for OCSPSigning (RFC 6960 §4.2.2.2), answering for `certificate`,
// current at `at`, and echoing `nonce` if it carries one (a response with another nonce is a
// replay: Unknown). Bounded: at most kMaxRevocationDataSize bytes are looked at.
RevocationVerdict check_ocsp_response(ByteView response, const Certificate& certificate,
                                      const Certificate& issuer, ByteView nonce, WallClock at,
                                      std::string_view source);

constexpr std::size_t kMaxRevocationDataSize = 4 * 1024 * 1024;

// ---- Test and example builders (not used by the daemon at run time) --------------------------

struct CrlSpec {
  WallClock this_update;
  std::optional<WallClock> next_update;
  struct Entry {
    Certificate certificate;
    WallClock revoked_at;
  };
  std::vector<Entry> revoked;
};
Crl issue_crl(const CrlSpec& spec, const Certificate& issuer, const PrivateKey& issuer_key);

struct OcspResponseSpec {
  RevocationStatus status = RevocationStatus::Good;
  WallClock this_update;
  std::optional<WallClock> next_update;
  WallClock revoked_at;                 // when status is Revoked
  std::optional<Bytes> nonce;           // echoed in the response when set
  const Certificate* signer = nullptr;  // the issuer, or a delegated responder certificate
  const PrivateKey* signer_key = nullptr;
};
Bytes issue_ocsp_response(const OcspResponseSpec& spec, const Certificate& certificate,
                          const Certificate& issuer);

}  // namespace cygnet::crypto
