// IKEv1 message encryption (RFC 2408 §3.1, RFC 2409 §5, Appendix B) over crypto::CbcCipher.
#include "ike/v1/ikev1_protection.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "crypto/error.hpp"

namespace cygnet::ike::v1 {

namespace isakmp = wire::isakmp;

const char* protection_error_name(ProtectionError e) {
  switch (e) {
    case ProtectionError::BadIv: return "bad IV length";
    case ProtectionError::NotEncrypted: return "message not encrypted";
    case ProtectionError::Empty: return "empty encrypted body";
    case ProtectionError::ShorterThanBlock: return "encrypted body shorter than one cipher block";
    case ProtectionError::NotBlockAligned: return "encrypted body not a multiple of the cipher block size";
    case ProtectionError::CipherFailure: return "cipher failure";
    case ProtectionError::MalformedPlaintext: return "decrypted payload chain malformed";
  }
  return "unknown protection error";
}

struct Phase1Protection::State {
  State(crypto::CbcAlgorithm alg, ByteView key) : cipher(alg, key) {}
  crypto::CbcCipher cipher;
};

Phase1Protection::Phase1Protection(crypto::CbcAlgorithm cipher, ByteView key)
    : state_(std::make_unique<State>(cipher, key)) {}
Phase1Protection::~Phase1Protection() = default;
Phase1Protection::Phase1Protection(Phase1Protection&&) noexcept = default;
Phase1Protection& Phase1Protection::operator=(Phase1Protection&&) noexcept = default;

crypto::CbcAlgorithm Phase1Protection::cipher() const {
  return state_->cipher.algorithm();
}
std::size_t Phase1Protection::block_size() const {
  return state_->cipher.block_size();
}

Phase1Protection::Sealed Phase1Protection::encrypt(ByteView iv, ByteView plaintext) {
  const std::size_t block = block_size();
  if (iv.size() != block) throw std::invalid_argument("IKEv1 encryption: the IV must be one cipher block");
  if (plaintext.empty()) throw std::invalid_argument("IKEv1 encryption: nothing to encrypt");
  const std::size_t padding = (block - plaintext.size() % block) % block;
  static constexpr std::uint8_t kZeros[16] = {};  // AES/3DES blocks are at most 16 bytes
  static_assert(sizeof(kZeros) >= 16);
  Sealed out;
  out.ciphertext.resize(plaintext.size() + padding);
  if (!state_->cipher.encrypt(iv, {plaintext, ByteView(kZeros, padding)}, out.ciphertext)) {
    throw crypto::CryptoError("IKEv1 encryption failed");
  }
  out.next_iv.assign(out.ciphertext.end() - static_cast<std::ptrdiff_t>(block), out.ciphertext.end());
  return out;
}

ProtectionResult<Phase1Protection::Opened> Phase1Protection::decrypt(ByteView iv, ByteView ciphertext) {
  ProtectionResult<Opened> result;
  const std::size_t block = block_size();
  if (iv.size() != block) {
    result.error = ProtectionError::BadIv;
  } else if (ciphertext.empty()) {
    result.error = ProtectionError::Empty;
  } else if (ciphertext.size() < block) {
    result.error = ProtectionError::ShorterThanBlock;
  } else if (ciphertext.size() % block != 0) {
    result.error = ProtectionError::NotBlockAligned;
  } else {
    Opened opened;
    opened.plaintext.resize(ciphertext.size());
    if (!state_->cipher.decrypt(iv, ciphertext, opened.plaintext)) {
      result.error = ProtectionError::CipherFailure;
      return result;
    }
    opened.next_iv.assign(ciphertext.end() - static_cast<std::ptrdiff_t>(block), ciphertext.end());
    result.value = std::move(opened);
  }
  return result;
}

Phase1Protection::Protected Phase1Protection::protect(const isakmp::Header& header,
                                                      const isakmp::EncodedChain& chain, ByteView iv) {
  Sealed sealed = encrypt(iv, chain.bytes);
  if (sealed.ciphertext.size() > std::numeric_limits<std::uint32_t>::max() - isakmp::kHeaderLength) {
    throw std::length_error("IKEv1 message longer than the ISAKMP length field");
  }
  isakmp::Header h = header;
  h.flags = static_cast<std::uint8_t>(h.flags | isakmp::kFlagEncryption);
  Protected out;
  out.datagram.resize(isakmp::kHeaderLength + sealed.ciphertext.size());
  isakmp::write_header(h, chain.first, static_cast<std::uint32_t>(out.datagram.size()), out.datagram);
  std::copy(sealed.ciphertext.begin(), sealed.ciphertext.end(),
            out.datagram.begin() + static_cast<std::ptrdiff_t>(isakmp::kHeaderLength));
  out.next_iv = std::move(sealed.next_iv);
  return out;
}

ProtectionResult<Phase1Protection::Unprotected> Phase1Protection::unprotect(const isakmp::Message& message,
                                                                            ByteView iv) {
  ProtectionResult<Unprotected> result;
  if (!message.header.encrypted()) {
    result.error = ProtectionError::NotEncrypted;
    return result;
  }
  ProtectionResult<Opened> opened = decrypt(iv, message.encrypted_body);
  if (!opened) {
    result.error = opened.error;
    return result;
  }
  isakmp::ParseResult<std::vector<isakmp::Payload>> chain = isakmp::parse_payload_chain(
      message.header.next_payload, opened.value->plaintext, isakmp::Padding::Allow);
  if (!chain) {
    result.error = ProtectionError::MalformedPlaintext;
    result.parse_failure = std::move(chain.failure);
    return result;
  }
  Unprotected out;
  out.payloads = std::move(*chain.value);
  out.plaintext = std::move(opened.value->plaintext);
  out.next_iv = std::move(opened.value->next_iv);
  result.value = std::move(out);
  return result;
}

}  // namespace cygnet::ike::v1
