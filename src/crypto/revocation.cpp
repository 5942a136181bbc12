#include "crypto/revocation.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>

#include "crypto/error.hpp"
#include "crypto/x509_internal.hpp"

namespace cygnet::crypto {
namespace {

template <auto Free>
using Deleter = detail::OpenSslDeleter<Free>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<&X509_CRL_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<&BIO_free_all>>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, Deleter<&OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, Deleter<&OCSP_RESPONSE_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, Deleter<&OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, Deleter<&OCSP_CERTID_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<&X509_STORE_free>>;
using RevokedPtr = std::unique_ptr<X509_REVOKED, Deleter<&X509_REVOKED_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, Deleter<&ASN1_TIME_free>>;
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }  // the certificates are not owned
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

X509* raw(const Certificate& c) {
  return c.impl()->x509.get();
}

RevocationVerdict unknown(std::string detail) {
  RevocationVerdict v;
  v.detail = std::move(detail);
  return v;
}

Asn1TimePtr asn1_time(WallClock t) {
  Asn1TimePtr time(ASN1_TIME_set(nullptr, to_time_t(t)));
  if (!time) throw CryptoError("revocation: time out of range");
  return time;
}

OcspCertIdPtr cert_id(const Certificate& certificate, const Certificate& issuer) {
  // SHA-1 CertID, what every responder (and `openssl ocsp`) indexes by.
  OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), raw(certificate), raw(issuer)));
  if (!id) throw CryptoError("ocsp: CertID failed");
  return id;
}

OcspRequestPtr ocsp_request(const Certificate& certificate, const Certificate& issuer, ByteView nonce) {
  OcspRequestPtr req(OCSP_REQUEST_new());
  OcspCertIdPtr id = cert_id(certificate, issuer);
  if (!req || OCSP_request_add0_id(req.get(), id.get()) == nullptr) throw CryptoError("ocsp: request failed");
  static_cast<void>(id.release());  // owned by the request now
  if (!nonce.empty() && OCSP_request_add1_nonce(req.get(), const_cast<unsigned char*>(nonce.data()),
                                                static_cast<int>(nonce.size())) != 1)
    throw CryptoError("ocsp: nonce failed");
  return req;
}

// thisUpdate ≤ at < nextUpdate; "" when current, else why not.
std::string staleness(WallClock this_update, std::optional<WallClock> next_update, WallClock at) {
  if (at < this_update) return "is not valid before " + utc_text(this_update);
  if (next_update && at >= *next_update) return "expired at " + utc_text(*next_update) + " (nextUpdate)";
  return "";
}

}  // namespace

const char* revocation_status_name(RevocationStatus status) {
  switch (status) {
    case RevocationStatus::Good: return "good";
    case RevocationStatus::Revoked: return "revoked";
    case RevocationStatus::Unknown: return "unknown";
  }
  return "unknown";
}

// ---- Crl -----------------------------------------------------------------------------------

struct Crl::Impl {
  CrlPtr crl;
};

Crl::Crl(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {
  if (!impl_ || !impl_->crl) throw CryptoError("crl: empty");
}
Crl::~Crl() = default;
Crl::Crl(const Crl&) = default;
Crl& Crl::operator=(const Crl&) = default;
Crl::Crl(Crl&&) noexcept = default;
Crl& Crl::operator=(Crl&&) noexcept = default;

std::optional<Crl> Crl::parse(ByteView data) {
  if (data.empty() || data.size() > kMaxRevocationDataSize) return std::nullopt;
  CrlPtr crl;
  const unsigned char* p = data.data();
  crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
  if (crl && p != data.data() + data.size()) crl.reset();  // trailing bytes
  if (!crl) {
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (bio) crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  }
  ERR_clear_error();
  if (!crl) return std::nullopt;
  auto impl = std::make_shared<Impl>();
  impl->crl = std::move(crl);
  return Crl(std::move(impl));
}

Bytes Crl::der() const {
  const int length = i2d_X509_CRL(impl_->crl.get(), nullptr);
  if (length <= 0) throw CryptoError("crl: DER encoding failed");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* p = out.data();
  i2d_X509_CRL(impl_->crl.get(), &p);
  return out;
}

std::string Crl::issuer_string() const {
  return name_string(X509_CRL_get_issuer(impl_->crl.get()));
}

WallClock Crl::this_update() const {
  return to_wall_clock(X509_CRL_get0_lastUpdate(impl_->crl.get()));
}

std::optional<WallClock> Crl::next_update() const {
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(impl_->crl.get());
  if (next == nullptr) return std::nullopt;
  return to_wall_clock(next);
}

RevocationVerdict check_crl(const Certificate& certificate, const Certificate& issuer, const Crl& crl,
                            WallClock at, std::string_view source) {
  const std::string subject = certificate.subject_string();
  const std::string from = "CRL from " + std::string(source);
  X509_CRL* x = crl.impl()->crl.get();
  if (X509_NAME_cmp(X509_CRL_get_issuer(x), X509_get_subject_name(raw(issuer))) != 0)
    return unknown(from + " is issued by " + crl.issuer_string() + ", not by " + issuer.subject_string() +
                   " which issued " + subject);
  EVP_PKEY* issuer_key = X509_get0_pubkey(raw(issuer));
  const bool signed_ok = issuer_key != nullptr && X509_CRL_verify(x, issuer_key) == 1;
  ERR_clear_error();
  if (!signed_ok) return unknown(from + " is not signed by " + issuer.subject_string() + ": ignored");
  const std::string stale = staleness(crl.this_update(), crl.next_update(), at);
  if (!stale.empty()) return unknown(from + " " + stale + ": treated as unknown for " + subject);
  RevocationVerdict v;
  v.next_update = crl.next_update();
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_cert(x, &entry, raw(certificate)) == 1 && entry != nullptr) {
    v.status = RevocationStatus::Revoked;
    v.revoked_at = to_wall_clock(X509_REVOKED_get0_revocationDate(entry));
    v.detail = subject + " revoked at " + utc_text(*v.revoked_at) + " per " + from;
  } else {
    v.status = RevocationStatus::Good;
    v.detail = subject + " is not revoked per " + from;
  }
  ERR_clear_error();
  return v;
}

// ---- OCSP ----------------------------------------------------------------------------------

Bytes make_ocsp_request(const Certificate& certificate, const Certificate& issuer, ByteView nonce) {
  OcspRequestPtr req = ocsp_request(certificate, issuer, nonce);
  const int length = i2d_OCSP_REQUEST(req.get(), nullptr);
  if (length <= 0) throw CryptoError("ocsp: request encoding failed");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* p = out.data();
  i2d_OCSP_REQUEST(req.get(), &p);
  return out;
}

RevocationVerdict check_ocsp_response(ByteView response, const Certificate& certificate,
                                      const Certificate& issuer, ByteView nonce, WallClock at,
                                      std::string_view source) {
  const std::string subject = certificate.subject_string();
  const std::string from = "OCSP response from " + std::string(source);
  if (response.empty() || response.size() > kMaxRevocationDataSize)
    return unknown(from + " is empty or too large");
  const unsigned char* p = response.data();
  OcspResponsePtr parsed(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(response.size())));
  if (!parsed) {
    ERR_clear_error();
    return unknown(from + " does not parse");
  }
  const int response_status = OCSP_response_status(parsed.get());
  if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return unknown(from + " is not successful (" + OCSP_response_status_str(response_status) + ")");
  OcspBasicPtr basic(OCSP_response_get1_basic(parsed.get()));
  if (!basic) {
    ERR_clear_error();
    return unknown(from + " carries no basic response");
  }
  // Signed by the issuer, or by a responder certificate the issuer made for OCSPSigning, verified
  // at `at` (the store's time, not the clock).
  StorePtr store(X509_STORE_new());
  X509StackPtr issuer_only(sk_X509_new_null());
  if (!store || !issuer_only || X509_STORE_add_cert(store.get(), raw(issuer)) != 1 ||
      sk_X509_push(issuer_only.get(), raw(issuer)) <= 0) {
    ERR_clear_error();
    return unknown(from + ": out of memory");
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), to_time_t(at));
  X509_VERIFY_PARAM_set_flags(X509_STORE_get0_param(store.get()), X509_V_FLAG_PARTIAL_CHAIN);
  // PARTIAL_CHAIN here: the issuer is the anchor for its own responder (RFC 6960 §4.2.2.2); the
  // issuer itself was validated up to a configured root before revocation is asked about.
  const bool signature_ok = OCSP_basic_verify(basic.get(), issuer_only.get(), store.get(), 0) == 1;
  ERR_clear_error();
  if (!signature_ok)
    return unknown(from + " is not signed by " + issuer.subject_string() + " or a responder it authorized");
  {
    OcspRequestPtr req = ocsp_request(certificate, issuer, nonce);
    const int nonce_check = OCSP_check_nonce(req.get(), basic.get());
    ERR_clear_error();
    if (nonce_check == 0) return unknown(from + " carries another nonce than our request (a replay?)");
  }
  OcspCertIdPtr id = cert_id(certificate, issuer);
  int status = V_OCSP_CERTSTATUS_UNKNOWN;
  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked, &this_update, &next_update) !=
      1) {
    ERR_clear_error();
    return unknown(from + " does not answer for " + subject);
  }
  std::optional<WallClock> next;
  if (next_update != nullptr) next = to_wall_clock(next_update);
  const std::string stale = staleness(to_wall_clock(this_update), next, at);
  if (!stale.empty()) return unknown(from + " " + stale + ": treated as unknown for " + subject);
  RevocationVerdict v;
  v.next_update = next;
  switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
      v.status = RevocationStatus::Good;
      v.detail = subject + " is good per " + from;
      break;
    case V_OCSP_CERTSTATUS_REVOKED:
      v.status = RevocationStatus::Revoked;
      v.revoked_at = to_wall_clock(revoked);
      v.detail = subject + " revoked at " + utc_text(*v.revoked_at) + " per " + from;
      break;
    default: v.detail = from + " says the status of " + subject + " is unknown";
  }
  return v;
}

// ---- Builders ------------------------------------------------------------------------------

Crl issue_crl(const CrlSpec& spec, const Certificate& issuer, const PrivateKey& issuer_key) {
  CrlPtr crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(raw(issuer))) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), asn1_time(spec.this_update).get()) != 1 ||
      (spec.next_update && X509_CRL_set1_nextUpdate(crl.get(), asn1_time(*spec.next_update).get()) != 1))
    throw CryptoError("issue_crl: setting fields failed");
  for (const CrlSpec::Entry& entry : spec.revoked) {
    RevokedPtr revoked(X509_REVOKED_new());
    if (!revoked ||
        X509_REVOKED_set_serialNumber(revoked.get(), X509_get_serialNumber(raw(entry.certificate))) != 1 ||
        X509_REVOKED_set_revocationDate(revoked.get(), asn1_time(entry.revoked_at).get()) != 1 ||
        X509_CRL_add0_revoked(crl.get(), revoked.get()) != 1)
      throw CryptoError("issue_crl: entry failed");
    static_cast<void>(revoked.release());
  }
  X509_CRL_sort(crl.get());
  PkeyPtr key = private_pkey(issuer_key);
  const EVP_MD* md = EVP_PKEY_is_a(key.get(), "ED25519") ? nullptr : EVP_sha256();
  if (X509_CRL_sign(crl.get(), key.get(), md) <= 0) throw CryptoError("issue_crl: signing failed");
  auto impl = std::make_shared<Crl::Impl>();
  impl->crl = std::move(crl);
  return Crl(std::move(impl));
}

Bytes issue_ocsp_response(const OcspResponseSpec& spec, const Certificate& certificate,
                          const Certificate& issuer) {
  if (spec.signer == nullptr || spec.signer_key == nullptr)
    throw CryptoError("issue_ocsp_response: no signer");
  OcspBasicPtr basic(OCSP_BASICRESP_new());
  OcspCertIdPtr id = cert_id(certificate, issuer);
  const int status = spec.status == RevocationStatus::Good      ? V_OCSP_CERTSTATUS_GOOD
                     : spec.status == RevocationStatus::Revoked ? V_OCSP_CERTSTATUS_REVOKED
                                                                : V_OCSP_CERTSTATUS_UNKNOWN;
  Asn1TimePtr this_update = asn1_time(spec.this_update);
  Asn1TimePtr next_update = spec.next_update ? asn1_time(*spec.next_update) : nullptr;
  Asn1TimePtr revoked_at = asn1_time(spec.revoked_at);
  if (!basic || OCSP_basic_add1_status(basic.get(), id.get(), status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                                       status == V_OCSP_CERTSTATUS_REVOKED ? revoked_at.get() : nullptr,
                                       this_update.get(), next_update.get()) == nullptr)
    throw CryptoError("issue_ocsp_response: status failed");
  if (spec.nonce && OCSP_basic_add1_nonce(basic.get(), const_cast<unsigned char*>(spec.nonce->data()),
                                          static_cast<int>(spec.nonce->size())) != 1)
    throw CryptoError("issue_ocsp_response: nonce failed");
  PkeyPtr key = private_pkey(*spec.signer_key);
  const EVP_MD* md = EVP_PKEY_is_a(key.get(), "ED25519") ? nullptr : EVP_sha256();
  if (OCSP_basic_sign(basic.get(), raw(*spec.signer), key.get(), md, nullptr, 0) != 1)
    throw CryptoError("issue_ocsp_response: signing failed");
  OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  const int length = response ? i2d_OCSP_RESPONSE(response.get(), nullptr) : 0;
  if (length <= 0) throw CryptoError("issue_ocsp_response: encoding failed");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* p = out.data();
  i2d_OCSP_RESPONSE(response.get(), &p);
  ERR_clear_error();
  return out;
}

}  // namespace cygnet::crypto
