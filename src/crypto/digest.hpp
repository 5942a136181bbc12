// One-shot message digests (SHA-1 for NAT detection hashes and CERTREQ key ids, SHA-2 elsewhere).
#pragma once

#include <initializer_list>

#include "base/bytes.hpp"
#include "crypto/hmac.hpp"

namespace cygnet::crypto {

// The digest of the concatenation of parts. Throws CryptoError on an OpenSSL failure.
Bytes digest(HashAlgorithm alg, std::initializer_list<ByteView> parts);

}  // namespace cygnet::crypto
