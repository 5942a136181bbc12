#include "crypto/certificate_checks.hpp"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <memory>

#include "crypto/x509_internal.hpp"

namespace cygnet::crypto {
namespace {

struct EkuFree {
  void operator()(EXTENDED_KEY_USAGE* eku) const { sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free); }
};

std::string purpose_name(const ASN1_OBJECT* purpose) {
  const int nid = OBJ_obj2nid(purpose);
  if (nid != NID_undef) return OBJ_nid2sn(nid);
  char dotted[80] = {};
  OBJ_obj2txt(dotted, sizeof dotted, purpose, 1);
  return dotted;
}

bool purpose_allows_ike(int nid) {
  return nid == NID_server_auth || nid == NID_client_auth || nid == NID_ipsec_IKE ||
         nid == NID_anyExtendedKeyUsage;
}

}  // namespace

std::optional<std::string> check_ike_key_usage(const Certificate& certificate) {
  X509* x509 = certificate.impl()->x509.get();
  const std::uint32_t flags = X509_get_extension_flags(x509);  // also caches the extensions
  if ((flags & EXFLAG_INVALID) != 0)
    return "certificate " + certificate.subject_string() + " has an extension that does not parse";
  if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(x509) & KU_DIGITAL_SIGNATURE) == 0)
    return "keyUsage of certificate " + certificate.subject_string() +
           " lacks digitalSignature (IKE signatures need it; a certificate without keyUsage would also pass)";
  if ((flags & EXFLAG_XKUSAGE) == 0) return std::nullopt;
  std::unique_ptr<EXTENDED_KEY_USAGE, EkuFree> usage(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x509, NID_ext_key_usage, nullptr, nullptr)));
  ERR_clear_error();
  if (!usage) return "extendedKeyUsage of certificate " + certificate.subject_string() + " does not parse";
  std::string present;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usage.get()); ++i) {
    const ASN1_OBJECT* purpose = sk_ASN1_OBJECT_value(usage.get(), i);
    if (purpose_allows_ike(OBJ_obj2nid(purpose))) return std::nullopt;
    present += (present.empty() ? "" : ", ") + purpose_name(purpose);
  }
  return "extendedKeyUsage of certificate " + certificate.subject_string() + " is " +
         (present.empty() ? "empty" : present) +
         ": IKE accepts serverAuth, clientAuth, ipsecIKE (1.3.6.1.5.5.7.3.17) or anyExtendedKeyUsage";
}

std::optional<std::vector<std::string>> extended_key_usages(const Certificate& certificate) {
  X509* x509 = certificate.impl()->x509.get();
  if ((X509_get_extension_flags(x509) & EXFLAG_XKUSAGE) == 0) return std::nullopt;
  std::unique_ptr<EXTENDED_KEY_USAGE, EkuFree> usage(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x509, NID_ext_key_usage, nullptr, nullptr)));
  ERR_clear_error();
  if (!usage) return std::nullopt;
  std::vector<std::string> names;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usage.get()); ++i)
    names.push_back(purpose_name(sk_ASN1_OBJECT_value(usage.get(), i)));
  return names;
}

}  // namespace cygnet::crypto
