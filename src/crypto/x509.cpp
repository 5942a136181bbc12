#include "crypto/x509.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <climits>
#include <ctime>

#include "crypto/digest.hpp"
#include "crypto/error.hpp"
#include "crypto/openssl_deleter.hpp"
#include "crypto/random.hpp"
#include "crypto/x509_internal.hpp"

namespace cygnet::crypto {
namespace {

template <auto Free>
using Deleter = detail::OpenSslDeleter<Free>;
using BioPtr = std::unique_ptr<BIO, Deleter<&BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<&BN_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<&X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<&X509_STORE_CTX_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<&X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<&GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<&GENERAL_NAME_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, Deleter<&ASN1_STRING_free>>;
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }  // the certificates are not owned
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
}  // namespace

namespace {

BioPtr memory_bio(std::string_view text) {
  if (text.size() > INT_MAX) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

int no_passphrase(char*, int, int, void*) {
  return -1;
}

Certificate wrap(X509Ptr x509) {
  auto impl = std::make_shared<Certificate::Impl>();
  impl->x509 = std::move(x509);
  return Certificate(std::move(impl));
}

GeneralNamesPtr subject_alt_names(X509* x509) {
  return GeneralNamesPtr(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x509, NID_subject_alt_name, nullptr, nullptr)));
}

std::vector<std::string> string_names(X509* x509, int type) {
  std::vector<std::string> out;
  GeneralNamesPtr names = subject_alt_names(x509);
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != type) continue;
    const ASN1_IA5STRING* text = type == GEN_DNS ? name->d.dNSName : name->d.rfc822Name;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                     static_cast<std::size_t>(ASN1_STRING_length(text)));
  }
  ERR_clear_error();  // a certificate without subjectAltName is not an error
  return out;
}

PkeyPtr subject_pkey(const PublicKey& key) {
  const Bytes der = key.der_spki();
  const unsigned char* p = der.data();
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) throw CryptoError("issue_certificate: subject key unreadable");
  return pkey;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    throw CryptoError(std::string("issue_certificate: extension ") + OBJ_nid2sn(nid) + " failed");
}

void push_name(GENERAL_NAMES* names, int type, Asn1StringPtr value) {
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!name || !value) throw CryptoError("issue_certificate: subjectAltName entry failed");
  GENERAL_NAME_set0_value(name.get(), type, value.release());
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0)
    throw CryptoError("issue_certificate: subjectAltName push failed");
  static_cast<void>(name.release());  // now owned by the stack
}

Asn1StringPtr ia5_string(const std::string& text) {
  Asn1StringPtr s(ASN1_IA5STRING_new());
  if (!s || text.size() > INT_MAX ||
      ASN1_STRING_set(s.get(), text.data(), static_cast<int>(text.size())) != 1)
    throw CryptoError("issue_certificate: string too long");
  return s;
}

void add_subject_alt_names(X509* cert, const CertificateSpec& spec) {
  if (spec.dns_names.empty() && spec.email_names.empty() && spec.ip_addresses.empty()) return;
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) throw CryptoError("issue_certificate: allocation failed");
  for (const std::string& dns : spec.dns_names) push_name(names.get(), GEN_DNS, ia5_string(dns));
  for (const std::string& email : spec.email_names) push_name(names.get(), GEN_EMAIL, ia5_string(email));
  for (const std::string& ip : spec.ip_addresses) {
    Asn1StringPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets) throw CryptoError("issue_certificate: not an IP address: " + ip);
    push_name(names.get(), GEN_IPADD, std::move(octets));
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    throw CryptoError("issue_certificate: subjectAltName failed");
}

std::string ia5_text(const ASN1_IA5STRING* text) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                     static_cast<std::size_t>(ASN1_STRING_length(text)));
}

void add_uri_extensions(X509* cert, X509V3_CTX* ctx, const CertificateSpec& spec) {
  std::string points;
  for (const std::string& uri : spec.crl_uris) points += (points.empty() ? "URI:" : ",URI:") + uri;
  if (!points.empty()) add_extension(cert, ctx, NID_crl_distribution_points, points.c_str());
  std::string access;
  for (const std::string& uri : spec.ocsp_uris) access += (access.empty() ? "OCSP;URI:" : ",OCSP;URI:") + uri;
  if (!access.empty()) add_extension(cert, ctx, NID_info_access, access.c_str());
}

}  // namespace

WallClock to_wall_clock(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return WallClock{};
  using namespace std::chrono;
  const int year_number = tm.tm_year + 1900;
  // system_clock counts nanoseconds in 64 bits (years 1678..2261): 99991231235959Z, RFC 5280's
  // "no well-defined expiration date", saturates instead of overflowing.
  if (year_number > 2261) return WallClock::max();
  if (year_number < 1678) return WallClock::min();
  const year_month_day date{year{year_number}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                            day{static_cast<unsigned>(tm.tm_mday)}};
  return sys_days{date} + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
}

std::time_t to_time_t(WallClock t) {
  return std::chrono::system_clock::to_time_t(t);
}

// The key as an EVP_PKEY, through its PKCS#8 encoding (signature.cpp owns the
// PrivateKey internals). The PEM text is wiped once parsed.
PkeyPtr private_pkey(const PrivateKey& key) {
  std::string pem = key.to_pem();
  BioPtr bio = memory_bio(pem);
  PkeyPtr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!pkey) throw CryptoError("private key unreadable");
  return pkey;
}

std::string utc_text(WallClock t) {
  const std::time_t seconds = to_time_t(t);
  std::tm tm{};
  char text[32] = {};
  if (gmtime_r(&seconds, &tm) == nullptr ||
      std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
    return "?";
  return text;
}

std::string name_string(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 order and escaping, but UTF-8 left readable instead of \XX-escaped.
  const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0)
    throw CryptoError("certificate: name formatting failed");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return length > 0 && data != nullptr ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

// ---- Certificate -----------------------------------------------------------------------------

Certificate::Certificate(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {
  if (!impl_ || !impl_->x509) throw CryptoError("certificate: empty");
}
Certificate::~Certificate() = default;
Certificate::Certificate(const Certificate&) = default;
Certificate& Certificate::operator=(const Certificate&) = default;
Certificate::Certificate(Certificate&&) noexcept = default;
Certificate& Certificate::operator=(Certificate&&) noexcept = default;

std::optional<Certificate> Certificate::from_der(ByteView der) {
  if (der.empty() || der.size() > LONG_MAX) return std::nullopt;
  const unsigned char* p = der.data();
  X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x509 || p != der.data() + der.size()) {  // trailing bytes: not exactly one certificate
    ERR_clear_error();
    return std::nullopt;
  }
  return wrap(std::move(x509));
}

std::optional<Certificate> Certificate::from_pem(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  X509Ptr x509(bio ? PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!x509) {
    ERR_clear_error();
    return std::nullopt;
  }
  return wrap(std::move(x509));
}

std::vector<Certificate> Certificate::all_from_pem(std::string_view pem) {
  std::vector<Certificate> out;
  BioPtr bio = memory_bio(pem);
  while (bio) {
    X509Ptr x509(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
    if (!x509) break;
    out.push_back(wrap(std::move(x509)));
  }
  ERR_clear_error();  // the end of the bundle reads as a "no start line" error
  return out;
}

Bytes Certificate::der() const {
  const int length = i2d_X509(impl_->x509.get(), nullptr);
  if (length <= 0) throw CryptoError("certificate: DER encoding failed");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* p = out.data();
  if (i2d_X509(impl_->x509.get(), &p) != length) throw CryptoError("certificate: DER encoding failed");
  return out;
}

namespace {
Bytes spki_of(X509* x509) {
  // X509_get_X509_PUBKEY keeps the SubjectPublicKeyInfo as received, even for a key type
  // OpenSSL cannot load.
  const X509_PUBKEY* spki = X509_get_X509_PUBKEY(x509);
  const int length = spki ? i2d_X509_PUBKEY(spki, nullptr) : 0;
  if (length <= 0) throw CryptoError("certificate: no SubjectPublicKeyInfo");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* p = out.data();
  if (i2d_X509_PUBKEY(spki, &p) != length) throw CryptoError("certificate: SPKI encoding failed");
  return out;
}
}  // namespace

PublicKey Certificate::public_key() const {
  std::optional<PublicKey> key = PublicKey::from_der_spki(spki_of(impl_->x509.get()));
  if (!key) throw CryptoError("certificate: unsupported public key type");
  return std::move(*key);
}

std::string Certificate::subject_string() const {
  return name_string(X509_get_subject_name(impl_->x509.get()));
}

Bytes Certificate::subject_der() const {
  const X509_NAME* name = X509_get_subject_name(impl_->x509.get());
  const int length = i2d_X509_NAME(name, nullptr);
  if (length <= 0) throw CryptoError("certificate: subject encoding failed");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* p = out.data();
  if (i2d_X509_NAME(name, &p) != length) throw CryptoError("certificate: subject encoding failed");
  return out;
}

std::vector<std::string> Certificate::dns_names() const {
  return string_names(impl_->x509.get(), GEN_DNS);
}

std::vector<std::string> Certificate::email_names() const {
  return string_names(impl_->x509.get(), GEN_EMAIL);
}

std::vector<Bytes> Certificate::ip_addresses() const {
  std::vector<Bytes> out;
  GeneralNamesPtr names = subject_alt_names(impl_->x509.get());
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_IPADD) continue;
    const int length = ASN1_STRING_length(name->d.iPAddress);
    if (length != 4 && length != 16) continue;  // malformed entry: neither IPv4 nor IPv6
    const unsigned char* data = ASN1_STRING_get0_data(name->d.iPAddress);
    out.emplace_back(data, data + length);
  }
  ERR_clear_error();
  return out;
}

WallClock Certificate::not_before() const {
  return to_wall_clock(X509_get0_notBefore(impl_->x509.get()));
}

WallClock Certificate::not_after() const {
  return to_wall_clock(X509_get0_notAfter(impl_->x509.get()));
}

bool Certificate::is_ca() const {
  return (X509_get_extension_flags(impl_->x509.get()) & EXFLAG_CA) != 0;
}

bool Certificate::is_self_signed() const {
  return (X509_get_extension_flags(impl_->x509.get()) & EXFLAG_SS) != 0 &&
         X509_check_issued(impl_->x509.get(), impl_->x509.get()) == X509_V_OK &&
         X509_self_signed(impl_->x509.get(), 1) == 1;
}

bool Certificate::issued_by(const Certificate& issuer) const {
  X509* self = impl_->x509.get();
  X509* ca = issuer.impl_->x509.get();
  if (X509_check_issued(ca, self) != X509_V_OK) return false;
  EVP_PKEY* key = X509_get0_pubkey(ca);
  const bool ok = key != nullptr && X509_verify(self, key) == 1;
  ERR_clear_error();
  return ok;
}

std::string Certificate::issuer_string() const {
  return name_string(X509_get_issuer_name(impl_->x509.get()));
}

std::string Certificate::serial_hex() const {
  BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(impl_->x509.get()), nullptr));
  char* hex = serial ? BN_bn2hex(serial.get()) : nullptr;
  if (hex == nullptr) throw CryptoError("certificate: serial unreadable");
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

std::vector<std::string> Certificate::crl_uris() const {
  std::vector<std::string> out;
  using DistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, Deleter<&CRL_DIST_POINTS_free>>;
  DistPointsPtr points(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(impl_->x509.get(), NID_crl_distribution_points, nullptr, nullptr)));
  for (int i = 0; points && i < sk_DIST_POINT_num(points.get()); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
    if (point->distpoint == nullptr || point->distpoint->type != 0) continue;  // 0: fullName
    const GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type == GEN_URI) out.push_back(ia5_text(name->d.uniformResourceIdentifier));
    }
  }
  ERR_clear_error();
  return out;
}

std::vector<std::string> Certificate::ocsp_uris() const {
  std::vector<std::string> out;
  using AiaPtr = std::unique_ptr<AUTHORITY_INFO_ACCESS, Deleter<&AUTHORITY_INFO_ACCESS_free>>;
  AiaPtr access(static_cast<AUTHORITY_INFO_ACCESS*>(
      X509_get_ext_d2i(impl_->x509.get(), NID_info_access, nullptr, nullptr)));
  for (int i = 0; access && i < sk_ACCESS_DESCRIPTION_num(access.get()); ++i) {
    const ACCESS_DESCRIPTION* entry = sk_ACCESS_DESCRIPTION_value(access.get(), i);
    if (OBJ_obj2nid(entry->method) == NID_ad_OCSP && entry->location->type == GEN_URI)
      out.push_back(ia5_text(entry->location->d.uniformResourceIdentifier));
  }
  ERR_clear_error();
  return out;
}

Bytes Certificate::spki_sha1() const {
  return digest(HashAlgorithm::Sha1, {spki_of(impl_->x509.get())});
}

// ---- CertificateValidator --------------------------------------------------------------------

CertificateValidator::CertificateValidator(std::vector<Certificate> trusted_cas)
    : cas_(std::move(trusted_cas)) {}

namespace {

std::string list_subjects(const std::vector<Certificate>& certs) {
  std::string out;
  for (const Certificate& c : certs) out += (out.empty() ? "" : "; ") + c.subject_string();
  return out.empty() ? "none" : out;
}

// What the peer sent, for "no path" messages: each certificate with its issuer.
std::string describe_sent(const Certificate& end_entity, const std::vector<Certificate>& intermediates) {
  std::string out = end_entity.subject_string() + " (issuer " + end_entity.issuer_string() + ")";
  for (const Certificate& c : intermediates)
    out += ", " + c.subject_string() + " (issuer " + c.issuer_string() + ")";
  return out;
}

// OpenSSL's verify error → the check, the words, and what would have passed.
void explain(ValidationResult& result, int error, const Certificate& failed, const Certificate& end_entity,
             const std::vector<Certificate>& intermediates, const std::vector<Certificate>& cas) {
  result.certificate = failed.subject_string();
  const std::string openssl_words = X509_verify_cert_error_string(error);
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      result.check = "validity";
      result.error = "certificate has expired: " + result.certificate + " (valid until " +
                     utc_text(failed.not_after()) + ")";
      return;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      result.check = "validity";
      result.error = "certificate is not yet valid: " + result.certificate + " (valid from " +
                     utc_text(failed.not_before()) + ")";
      return;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      result.check = "issuer";
      result.error = "no path to a configured CA (" + openssl_words + " at " + result.certificate +
                     "): peer sent " + describe_sent(end_entity, intermediates) +
                     "; configured root CAs: " + list_subjects(cas);
      return;
    case X509_V_ERR_INVALID_CA:
      result.check = "basicConstraints";
      result.error = "invalid CA certificate: " + result.certificate +
                     " issued a certificate but is not a CA (basicConstraints CA:FALSE or absent)";
      return;
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      result.check = "basicConstraints";
      result.error = "path length constraint exceeded at " + result.certificate;
      return;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
      result.check = "chain length";
      result.error = "certificate chain too long at " + result.certificate + " (at most " +
                     std::to_string(kMaxIntermediates) + " intermediate CAs)";
      return;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      result.check = "signature";
      result.error = "certificate signature does not verify: " + result.certificate;
      return;
    default: result.check = "chain"; result.error = openssl_words + ": " + result.certificate;
  }
}

}  // namespace

ValidationResult CertificateValidator::validate(const Certificate& end_entity,
                                                const std::vector<Certificate>& intermediates,
                                                WallClock at) const {
  ValidationResult result;
  if (intermediates.size() > kMaxIntermediates) {
    result.check = "chain length";
    result.certificate = end_entity.subject_string();
    result.error = "certificate chain too long: " + std::to_string(intermediates.size()) +
                   " intermediate certificates with " + result.certificate + " (at most " +
                   std::to_string(kMaxIntermediates) + ")";
    return result;
  }
  StorePtr store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) {
    ERR_clear_error();
    result.error = "out of memory";
    return result;
  }
  std::vector<Certificate> roots;
  for (const Certificate& ca : cas_) {
    if (ca.is_self_signed()) {
      X509_STORE_add_cert(store.get(), ca.impl()->x509.get());
      roots.push_back(ca);
    } else {
      sk_X509_push(untrusted.get(), ca.impl()->x509.get());  // a link, not an anchor
    }
  }
  for (const Certificate& cert : intermediates) sk_X509_push(untrusted.get(), cert.impl()->x509.get());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), end_entity.impl()->x509.get(), untrusted.get()) != 1) {
    ERR_clear_error();
    result.error = "verification setup failed";
    return result;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, to_time_t(at));  // the caller's time, never the system clock
  X509_VERIFY_PARAM_set_depth(param, static_cast<int>(kMaxIntermediates));
  result.ok = X509_verify_cert(ctx.get()) == 1;
  if (result.ok) {
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* link = sk_X509_value(chain, i);
      X509_up_ref(link);
      auto impl = std::make_shared<Certificate::Impl>();
      impl->x509.reset(link);
      result.chain.emplace_back(std::move(impl));
    }
  } else {
    X509* current = X509_STORE_CTX_get_current_cert(ctx.get());
    std::optional<Certificate> failed;
    if (current != nullptr) {
      X509_up_ref(current);
      auto impl = std::make_shared<Certificate::Impl>();
      impl->x509.reset(current);
      failed.emplace(std::move(impl));
    }
    explain(result, X509_STORE_CTX_get_error(ctx.get()), failed ? *failed : end_entity, end_entity,
            intermediates, roots);
  }
  ERR_clear_error();
  return result;
}

// ---- issue_certificate -----------------------------------------------------------------------

Certificate issue_certificate(const CertificateSpec& spec, const PublicKey& subject_key,
                              const PrivateKey& issuer_key, const Certificate* issuer) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    throw CryptoError("issue_certificate: allocation failed");

  // A random positive 127-bit serial (RFC 5280 §4.1.2.2: unique per issuer, at most 20 octets).
  Bytes serial(16);
  random_bytes(serial);
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7f) | 0x40);
  BnPtr serial_bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!serial_bn || BN_to_ASN1_INTEGER(serial_bn.get(), X509_get_serialNumber(cert.get())) == nullptr)
    throw CryptoError("issue_certificate: serial failed");

  X509_NAME* subject = X509_get_subject_name(cert.get());
  auto add_entry = [subject](const char* field, const std::string& value) {
    if (value.empty()) return;
    if (value.size() > INT_MAX ||
        X509_NAME_add_entry_by_txt(subject, field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1)
      throw CryptoError(std::string("issue_certificate: subject ") + field + " failed");
  };
  add_entry("O", spec.organization);  // printed last in RFC 4514 order: "CN=…,O=…"
  add_entry("CN", spec.common_name);

  X509* issuer_cert = issuer != nullptr ? issuer->impl()->x509.get() : cert.get();
  PkeyPtr signing_key = private_pkey(issuer_key);
  PkeyPtr public_key = subject_pkey(subject_key);
  if (issuer != nullptr && X509_check_private_key(issuer_cert, signing_key.get()) != 1)
    throw CryptoError("issue_certificate: issuer key does not match the issuer certificate");
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), to_time_t(spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), to_time_t(spec.not_after)) == nullptr ||
      X509_set_pubkey(cert.get(), public_key.get()) != 1)
    throw CryptoError("issue_certificate: setting fields failed");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, cert.get(), nullptr, nullptr, 0);
  add_extension(cert.get(), &ctx, NID_basic_constraints, spec.is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  const std::string key_usage = !spec.key_usage.empty() ? spec.key_usage
                                : spec.is_ca            ? "critical,keyCertSign,cRLSign,digitalSignature"
                                                        : "critical,digitalSignature";
  if (key_usage != "none") add_extension(cert.get(), &ctx, NID_key_usage, key_usage.c_str());
  if (!spec.extended_key_usage.empty())
    add_extension(cert.get(), &ctx, NID_ext_key_usage, spec.extended_key_usage.c_str());
  add_uri_extensions(cert.get(), &ctx, spec);
  add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid");
  add_subject_alt_names(cert.get(), spec);

  // Ed25519 signs the certificate without a separate digest (RFC 8410 §6).
  const EVP_MD* md = EVP_PKEY_is_a(signing_key.get(), "ED25519") ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), signing_key.get(), md) <= 0)
    throw CryptoError("issue_certificate: signing failed");
  return wrap(std::move(cert));
}

}  // namespace cygnet::crypto
