// Internal to src/crypto: what x509.cpp shares with the files that read other X.509 structures
// (revocation.cpp): the X509 inside a Certificate, and name/time conversions.
#pragma once

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <string>

#include "crypto/openssl_deleter.hpp"
#include "crypto/x509.hpp"

namespace cygnet::crypto {

using X509Ptr = std::unique_ptr<X509, detail::OpenSslDeleter<&X509_free>>;

struct Certificate::Impl {
  X509Ptr x509;
};

// RFC 4514 text of a Name, UTF-8 left readable ("CN=gw.example.com,O=Example").
std::string name_string(const X509_NAME* name);
// ASN1_TIME → wall clock (saturating outside the years system_clock counts); unreadable → epoch.
WallClock to_wall_clock(const ASN1_TIME* time);
std::time_t to_time_t(WallClock t);
// "2025-01-01 00:00:00 UTC", for messages.
std::string utc_text(WallClock t);

}  // namespace cygnet::crypto
