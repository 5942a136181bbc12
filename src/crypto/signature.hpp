// Asymmetric keys for IKE authentication (RFC 7427 digital signatures; IKEv1's RFC 2409 and
// RFC 4754 forms): RSA (signing with PSS), ECDSA (P-256/384/521) and Ed25519, loaded from PEM;
// sign and verify with a named hash.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/hmac.hpp"

namespace cygnet::crypto {

enum class KeyType : std::uint8_t { Rsa, EcdsaP256, EcdsaP384, EcdsaP521, Ed25519 };
const char* key_type_name(KeyType t);  // "RSA", "ECDSA-P256", ..., "Ed25519"

// How a signature is made. Ed25519 ignores the hash (it is "Identity" in RFC 7427 terms).
enum class SignatureScheme : std::uint8_t {
  RsaPss,          // RSASSA-PSS, MGF1 with the same hash, salt length = hash length (RFC 8247 §3.2)
  RsaPkcs1v15,     // verify only, for peers that still use it
  Ecdsa,           // DER-encoded (r, s), as RFC 7427 carries it
  Ed25519,
  // IKEv1 (RFC 2409 §5.1): the data IS the already-computed HASH_I/HASH_R and is signed as is,
  // PKCS#1 v1.5 type 1 padding with no DigestInfo (strongSwan's SIGN_RSA_EMSA_PKCS1_NULL). The
  // hash argument is ignored; the data must be non-empty and at most modulus size - 11 bytes, and
  // a signature verifies only at exactly the modulus size.
  RsaPkcs1Raw,
  // ECDSA with the signature as fixed-size r || s, each left-padded to the curve's byte size
  // (32/48/66 for P-256/384/521), as RFC 4754 §7 carries it (IKEv2 and IKEv1 methods 9-11).
  // The data is hashed with the given hash (RFC 4754 pairs SHA-256/384/512 with P-256/384/521).
  EcdsaConcatenated,
  // IKEv1 ECDSA as strongSwan makes it (SIGN_ECDSA_WITH_NULL): like EcdsaConcatenated, but the
  // data IS the digest (HASH_I/HASH_R) and is signed as is; the hash argument is ignored.
  EcdsaConcatenatedPrehashed,
};

class PublicKey {
 public:
  ~PublicKey();
  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  PublicKey(const PublicKey&);  // shares the underlying EVP_PKEY (reference counted)
  PublicKey& operator=(const PublicKey&);

  static std::optional<PublicKey> from_pem(std::string_view pem);
  static std::optional<PublicKey> from_der_spki(ByteView der);  // SubjectPublicKeyInfo

  KeyType type() const { return type_; }
  std::size_t bits() const;
  Bytes der_spki() const;  // SubjectPublicKeyInfo DER (CERTREQ hashes, key identifiers)
  // False on a bad signature or a scheme that does not fit the key; never throws.
  bool verify(SignatureScheme scheme, HashAlgorithm hash, ByteView data, ByteView signature) const;

  struct Impl;
  explicit PublicKey(std::shared_ptr<Impl> impl);
  const std::shared_ptr<Impl>& impl() const { return impl_; }

 private:
  std::shared_ptr<Impl> impl_;
  KeyType type_ = KeyType::Rsa;
};

class PrivateKey {
 public:
  ~PrivateKey();
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  // PEM "PRIVATE KEY" / "RSA PRIVATE KEY" / "EC PRIVATE KEY" (unencrypted). nullopt when unreadable.
  static std::optional<PrivateKey> from_pem(std::string_view pem);
  // Fresh keys (tests, `cygnetctl` helpers). rsa_bits only for KeyType::Rsa.
  static PrivateKey generate(KeyType type, unsigned rsa_bits = 2048);

  KeyType type() const { return type_; }
  PublicKey public_key() const;
  std::string to_pem() const;  // PKCS#8 PEM (tests write keys to files; never logged)
  // Throws CryptoError on failure.
  Bytes sign(SignatureScheme scheme, HashAlgorithm hash, ByteView data) const;

  struct Impl;
  const std::unique_ptr<Impl>& impl() const { return impl_; }

 private:
  PrivateKey();
  std::unique_ptr<Impl> impl_;
  KeyType type_ = KeyType::Rsa;
};

}  // namespace cygnet::crypto
