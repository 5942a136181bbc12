// What an IKE peer's end-entity certificate must allow beyond a valid chain: keyUsage and
// extendedKeyUsage for IKE signatures (RFC 4945 §5.1.3.2, §5.1.3.12).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/x509.hpp"

namespace cygnet::crypto {

// nullopt when the certificate may sign IKE authentication, else why not in words naming the
// certificate and what would pass:
//  - keyUsage, when present, must include digitalSignature;
//  - extendedKeyUsage, when present, must include serverAuth, clientAuth, ipsecIKE
//    (1.3.6.1.5.5.7.3.17) or anyExtendedKeyUsage. strongSwan accepts the first two for IKE and
//    RFC 4945 §5.1.3.12 the last two; a certificate with none of them (e.g. codeSigning only) is
//    refused.
std::optional<std::string> check_ike_key_usage(const Certificate& certificate);

// The purposes a certificate's extendedKeyUsage lists, as OpenSSL's short names ("serverAuth",
// "clientAuth", "ipsecIKE", ...) or dotted OIDs for those it has no name for; nullopt when the
// certificate has no extendedKeyUsage (or one that does not parse). For checks of what clients
// demand of a gateway's own certificate (config/client_certificate_warnings.cpp).
std::optional<std::vector<std::string>> extended_key_usages(const Certificate& certificate);

}  // namespace cygnet::crypto
