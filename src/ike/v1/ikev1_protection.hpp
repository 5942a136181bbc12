// IKEv1 message protection (RFC 2408 §3.1, RFC 2409 §5 and Appendix B): the body of an ISAKMP
// message — every byte after the 28-byte header — encrypted in CBC mode under the phase-1 key
// (derived by ikev1_keys: Appendix B) with the current IV.
//
// IVs chain: the IV of the next message (in either direction, within phase 1 or within one Quick
// Mode/Informational exchange) is the last ciphertext block of the previous one. Every operation
// here returns that block as next_iv; the engine decides when to commit it (after the message
// authenticated — a message that fails its HASH must not move the IV).
//
// Padding: the sender pads the plaintext chain to the block size with zeros (nothing when already
// aligned); a receiver tolerates any padding (zeros, random bytes, a trailing pad count, even a whole
// extra block) because the chain is parsed with Padding::Allow: the last payload's Next Payload of 0
// marks its end.
//
// Bad input never throws and never reads out of bounds: it gives a named ProtectionError.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/block_cipher.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::v1 {

enum class ProtectionError : std::uint8_t {
  BadIv,               // the IV given is not one cipher block long
  NotEncrypted,        // the header's Encryption flag is clear
  Empty,               // no bytes after the header
  ShorterThanBlock,    // fewer bytes than one cipher block
  NotBlockAligned,     // the body is not a whole number of cipher blocks
  CipherFailure,       // the cipher refused (OpenSSL error)
  MalformedPlaintext,  // the decrypted bytes are not a payload chain (wrong key/IV, or corruption)
};
const char* protection_error_name(ProtectionError e);

template <typename T>
struct ProtectionResult {
  std::optional<T> value;
  ProtectionError error = ProtectionError::CipherFailure;  // meaningful when !value
  wire::isakmp::ParseFailure parse_failure;                // with MalformedPlaintext
  explicit operator bool() const { return value.has_value(); }
};

// One ISAKMP SA's cipher: the phase-1 encryption key scheduled once, used for both directions
// (IKEv1 has a single key; the IVs keep the directions apart).
class Phase1Protection {
 public:
  // Throws crypto::CryptoError when the key is not cbc_key_length(cipher) long.
  Phase1Protection(crypto::CbcAlgorithm cipher, ByteView key);
  ~Phase1Protection();
  Phase1Protection(Phase1Protection&&) noexcept;
  Phase1Protection& operator=(Phase1Protection&&) noexcept;
  Phase1Protection(const Phase1Protection&) = delete;
  Phase1Protection& operator=(const Phase1Protection&) = delete;

  crypto::CbcAlgorithm cipher() const;
  std::size_t block_size() const;

  struct Sealed {
    Bytes ciphertext;  // the plaintext zero-padded to the block size, encrypted
    Bytes next_iv;     // its last block
  };
  // Encrypts a plaintext chain. Throws std::invalid_argument for an empty plaintext or an IV that is
  // not one block long (the caller's own data: a programming error), crypto::CryptoError when the
  // cipher fails.
  Sealed encrypt(ByteView iv, ByteView plaintext);

  struct Opened {
    Bytes plaintext;  // padding included (the parser skips it)
    Bytes next_iv;    // the last ciphertext block
  };
  ProtectionResult<Opened> decrypt(ByteView iv, ByteView ciphertext);

  struct Protected {
    Bytes datagram;  // header (Encryption flag set, next payload = the chain's first, length) + body
    Bytes next_iv;
  };
  // A whole message: the header as given (flags gain kFlagEncryption; next payload and length are
  // computed) followed by the encrypted chain. Throws as encrypt(), and std::length_error when the
  // message would not fit the 32-bit length field.
  Protected protect(const wire::isakmp::Header& header, const wire::isakmp::EncodedChain& chain, ByteView iv);

  struct Unprotected {
    std::vector<wire::isakmp::Payload> payloads;
    Bytes plaintext;  // the decrypted body, padding included (HASH inputs are cut from it)
    Bytes next_iv;
  };
  // A parsed encrypted message (parse_message already matched its length to the datagram):
  // decrypts message.encrypted_body and parses the chain that starts with header.next_payload.
  ProtectionResult<Unprotected> unprotect(const wire::isakmp::Message& message, ByteView iv);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cygnet::ike::v1
