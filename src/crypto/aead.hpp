// AEAD ciphers with a key scheduled once: AES-GCM (RFC 4106) and ChaCha20-Poly1305 (RFC 7634).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>

#include "base/bytes.hpp"

namespace cygnet::crypto {

enum class AeadAlgorithm : std::uint8_t { AesGcm128, AesGcm192, AesGcm256, ChaCha20Poly1305 };

std::size_t aead_key_length(AeadAlgorithm alg);  // cipher key only, without the 4-byte ESP salt
const char* aead_name(AeadAlgorithm alg);

inline constexpr std::size_t kAeadNonceLength = 12;

// Which directions to schedule: an SA is one-directional, so it needs only one context.
enum class AeadUse : std::uint8_t { Seal, Open, Both };

class Aead {
 public:
  // icv_length: 8, 12 or 16 for AES-GCM; 16 for ChaCha20-Poly1305. Throws CryptoError on a bad key
  // length or ICV length.
  Aead(AeadAlgorithm alg, ByteView key, std::size_t icv_length, AeadUse use = AeadUse::Both);
  ~Aead();
  Aead(Aead&&) noexcept;
  Aead& operator=(Aead&&) noexcept;
  Aead(const Aead&) = delete;
  Aead& operator=(const Aead&) = delete;

  AeadAlgorithm algorithm() const { return alg_; }
  std::size_t icv_length() const { return icv_length_; }

  // Encrypts plaintext into ciphertext (same size; may alias exactly) and writes icv_length() bytes
  // of tag. nonce is 12 bytes. Returns false only on an OpenSSL failure.
  bool seal(ByteView nonce, ByteView aad, ByteView plaintext, MutableByteView ciphertext,
            MutableByteView tag);
  // The same over a plaintext given in pieces (ESP: the packet, then the trailer built on the
  // stack), written contiguously to ciphertext; saves copying the packet first.
  bool seal(ByteView nonce, ByteView aad, std::initializer_list<ByteView> plaintext_parts,
            MutableByteView ciphertext, MutableByteView tag);
  // Verifies the tag and decrypts; returns false if authentication fails (plaintext then undefined).
  bool open(ByteView nonce, ByteView aad, ByteView ciphertext, ByteView tag, MutableByteView plaintext);

 private:
  struct Contexts;
  AeadAlgorithm alg_;
  std::size_t icv_length_;
  std::unique_ptr<Contexts> ctx_;
};

}  // namespace cygnet::crypto
