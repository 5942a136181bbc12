// Internal to src/crypto: what x509.cpp shares with the files that read other X.509 structures
// (revocation.cpp): the X509 inside a Certificate, and name/time conversions.
#pragma once

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <string>

#include "crypto/openssl_deleter.hpp"
#include "crypto/signature.hpp"
#include "crypto/x509.hpp"

namespace cygnet::crypto {

using X509Ptr = std::unique_ptr<X509, detail::OpenSslDeleter<&X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, detail::OpenSslDeleter<&EVP_PKEY_free>>;

struct Certificate::Impl {
  X509Ptr x509;
};

// RFC 4514 text of a Name, UTF-8 left readable ("CN=gw.example.com,O=Example").
std::string name_string(const X509_NAME* name);
// ASN1_TIME → wall clock (saturating outside the years system_clock counts); unreadable → epoch.
WallClock to_wall_clock(const ASN1_TIME* time);
std::time_t to_time_t(WallClock t);
// A private key as an EVP_PKEY, to sign certificates, CRLs and OCSP responses in the builders.
PkeyPtr private_pkey(const PrivateKey& key);
// "2025-01-01 00:00:00 UTC", for messages.
std::string utc_text(WallClock t);

}  // namespace cygnet::crypto
