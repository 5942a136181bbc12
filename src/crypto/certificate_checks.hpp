// What an IKE peer's end-entity certificate must allow beyond a valid chain: keyUsage and
// extendedKeyUsage for IKE signatures (RFC 4945 §5.1.3.2, §5.1.3.12).
#pragma once

#include <optional>
#include <string>

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

}  // namespace cygnet::crypto
