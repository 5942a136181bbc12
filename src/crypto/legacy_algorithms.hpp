// MD4 and single DES, which only OpenSSL 3's legacy provider offers, for MSCHAPv2 (RFC 2759)
// and nothing else. The legacy provider is loaded into a private library context so the rest of
// the daemon (the default context) never sees these algorithms.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"

namespace cygnet::crypto {

// MD4 (RFC 1320) of data. Throws CryptoError when the legacy provider is unavailable.
SecureBytes md4(ByteView data);

// One 8-byte block encrypted with single DES under an 8-byte key (parity bits ignored).
// Throws CryptoError when the legacy provider is unavailable.
std::array<std::uint8_t, 8> des_encrypt_block(ByteView key8, ByteView block8);

}  // namespace cygnet::crypto
