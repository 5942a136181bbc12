// MS-MPPE-Send-Key / MS-MPPE-Recv-Key (RFC 2548 §2.4.2-2.4.3): how a RADIUS server hands the EAP
// keys to the NAS, hidden under the shared secret and the Access-Request's Request Authenticator.
// radcli passes these attributes through undecoded (it only exposes the secret and the request
// vector, rc_aaa_ctx_get_secret/_vector, for this); the decryption is the RFC's MD5 chain.
#pragma once

#include <optional>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"

namespace cygnet::crypto {

inline constexpr std::size_t kRadiusAuthenticatorLength = 16;

// The key inside one attribute value (salt, then the encrypted string), or nullopt when the value
// is malformed: salt without its high bit, an encrypted part not a non-empty multiple of 16, a
// key length byte beyond the data, or padding that is not all zero. A wrong shared secret
// decrypts to noise, which fails the length and padding checks (the padding of a 16-byte key is
// 15 bytes, so noise passes with a probability near 2^-120): the check doubles as proof that the
// server knows our secret.
std::optional<SecureBytes> decrypt_mppe_key(ByteView attribute_value, ByteView shared_secret,
                                            ByteView request_authenticator);

// The reverse (what a server does), with the given salt: for tests and tools.
Bytes encrypt_mppe_key(ByteView key, ByteView shared_secret, ByteView request_authenticator,
                       std::uint16_t salt);

}  // namespace cygnet::crypto
