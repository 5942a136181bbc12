// Diffie-Hellman key exchange for IKE through OpenSSL EVP_PKEY: MODP groups 14/15/16 (RFC 3526),
// ECP groups 19/20/21 (RFC 5903) and Curve25519/Curve448 (RFC 8031). Public values and shared
// secrets use the IKE wire encodings.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"

namespace cygnet::crypto {

// Values are the IANA IKEv2 transform type 4 numbers.
enum class DhGroup : std::uint16_t {
  Modp1024 = 2,   // legacy (RFC 8247 SHOULD NOT): only with allow_legacy
  Modp2048 = 14,
  Modp3072 = 15,
  Modp4096 = 16,
  Ecp256 = 19,
  Ecp384 = 20,
  Ecp521 = 21,
  Curve25519 = 31,
  Curve448 = 32,
};

std::optional<DhGroup> dh_group_from_id(std::uint16_t iana_id);  // nullopt: not implemented
const char* dh_group_name(DhGroup g);  // strongSwan names: "modp2048", "ecp256", "x25519", "x448"
// Length of the KE payload data: MODP prime length, 2×coordinate length for ECP (x | y, RFC 5903
// §7, no 0x04 prefix), 32 or 56 for the Montgomery curves.
std::size_t dh_public_length(DhGroup g);

class KeyExchange {
 public:
  // Generates a fresh private key. Throws CryptoError on an OpenSSL failure.
  explicit KeyExchange(DhGroup group);
  // For known-answer tests only (RFC 5903 §8, RFC 7748 §6): a fixed private key — a big-endian
  // exponent (MODP) or scalar padded to the field size (ECP), or the raw RFC 7748 scalar (32/56
  // bytes). Never use it for a real exchange. Throws CryptoError on a malformed key.
  KeyExchange(DhGroup group, ByteView private_key);
  ~KeyExchange();
  KeyExchange(KeyExchange&&) noexcept;
  KeyExchange& operator=(KeyExchange&&) noexcept;
  KeyExchange(const KeyExchange&) = delete;
  KeyExchange& operator=(const KeyExchange&) = delete;

  DhGroup group() const { return group_; }
  // Our public value in the IKE encoding (dh_public_length bytes).
  const Bytes& public_value() const { return public_value_; }

  // g^ir from the peer's public value. nullopt when the value is malformed: wrong length, not on
  // the curve, or (MODP) outside 2..p-2 (RFC 7296 §2.12 / SP 800-56A checks). MODP secrets are
  // left-padded to the prime length; ECP secrets are the x coordinate (RFC 5903 §7).
  std::optional<SecureBytes> compute_shared_secret(ByteView peer_public) const;

 private:
  struct State;
  DhGroup group_;
  Bytes public_value_;
  std::unique_ptr<State> state_;
};

}  // namespace cygnet::crypto
