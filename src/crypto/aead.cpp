#include "crypto/aead.hpp"

#include <openssl/evp.h>

#include <climits>

#include "crypto/error.hpp"

namespace cygnet::crypto {

namespace {

// Algorithms are fetched from the provider once per process, not per SA or per packet.
const EVP_CIPHER* fetch_cipher(AeadAlgorithm alg) {
  static EVP_CIPHER* gcm128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* gcm192 = EVP_CIPHER_fetch(nullptr, "AES-192-GCM", nullptr);
  static EVP_CIPHER* gcm256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  switch (alg) {
    case AeadAlgorithm::AesGcm128: return gcm128;
    case AeadAlgorithm::AesGcm192: return gcm192;
    case AeadAlgorithm::AesGcm256: return gcm256;
    case AeadAlgorithm::ChaCha20Poly1305: return chacha;
  }
  return nullptr;
}

bool fits_int(std::size_t n) { return n <= static_cast<std::size_t>(INT_MAX); }

}  // namespace

std::size_t aead_key_length(AeadAlgorithm alg) {
  switch (alg) {
    case AeadAlgorithm::AesGcm128: return 16;
    case AeadAlgorithm::AesGcm192: return 24;
    case AeadAlgorithm::AesGcm256: return 32;
    case AeadAlgorithm::ChaCha20Poly1305: return 32;
  }
  return 0;
}

const char* aead_name(AeadAlgorithm alg) {
  switch (alg) {
    case AeadAlgorithm::AesGcm128: return "aes128gcm";
    case AeadAlgorithm::AesGcm192: return "aes192gcm";
    case AeadAlgorithm::AesGcm256: return "aes256gcm";
    case AeadAlgorithm::ChaCha20Poly1305: return "chacha20poly1305";
  }
  return "?";
}

struct Aead::Contexts {
  EVP_CIPHER_CTX* seal = nullptr;
  EVP_CIPHER_CTX* open = nullptr;
  ~Contexts() {
    EVP_CIPHER_CTX_free(seal);  // clears the key schedule
    EVP_CIPHER_CTX_free(open);
  }
};

Aead::Aead(AeadAlgorithm alg, ByteView key, std::size_t icv_length, AeadUse use)
    : alg_(alg), icv_length_(icv_length), ctx_(std::make_unique<Contexts>()) {
  if (key.size() != aead_key_length(alg)) throw CryptoError(std::string("wrong key length for ") + aead_name(alg));
  bool icv_ok = alg == AeadAlgorithm::ChaCha20Poly1305
                    ? icv_length == 16
                    : (icv_length == 8 || icv_length == 12 || icv_length == 16);
  if (!icv_ok) throw CryptoError(std::string("unsupported ICV length for ") + aead_name(alg));
  const EVP_CIPHER* cipher = fetch_cipher(alg);
  if (cipher == nullptr) throw CryptoError(std::string("OpenSSL lacks ") + aead_name(alg));

  auto make = [&](int encrypt) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr || EVP_CipherInit_ex2(ctx, cipher, key.data(), nullptr, encrypt, nullptr) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      throw CryptoError(std::string("cannot initialise ") + aead_name(alg));
    }
    return ctx;
  };
  if (use != AeadUse::Open) ctx_->seal = make(1);
  if (use != AeadUse::Seal) ctx_->open = make(0);
}

Aead::~Aead() = default;
Aead::Aead(Aead&&) noexcept = default;
Aead& Aead::operator=(Aead&&) noexcept = default;

bool Aead::seal(ByteView nonce, ByteView aad, ByteView plaintext, MutableByteView ciphertext,
                MutableByteView tag) {
  return seal(nonce, aad, {plaintext}, ciphertext, tag);
}

bool Aead::seal(ByteView nonce, ByteView aad, std::initializer_list<ByteView> plaintext_parts,
                MutableByteView ciphertext, MutableByteView tag) {
  EVP_CIPHER_CTX* ctx = ctx_->seal;
  std::size_t total = 0;
  for (ByteView part : plaintext_parts) total += part.size();
  if (ctx == nullptr || nonce.size() != kAeadNonceLength || ciphertext.size() < total ||
      tag.size() < icv_length_ || !fits_int(total) || !fits_int(aad.size())) {
    return false;
  }
  int len = 0;
  // Only the nonce changes per packet; the key schedule set in the constructor is reused.
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1) return false;
  if (!aad.empty() && EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  std::size_t written = 0;
  for (ByteView part : plaintext_parts) {
    if (part.empty()) continue;
    if (EVP_EncryptUpdate(ctx, ciphertext.data() + written, &len, part.data(), static_cast<int>(part.size())) != 1)
      return false;
    written += static_cast<std::size_t>(len);
  }
  if (EVP_EncryptFinal_ex(ctx, ciphertext.data() + written, &len) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(icv_length_), tag.data()) == 1;
}

bool Aead::open(ByteView nonce, ByteView aad, ByteView ciphertext, ByteView tag, MutableByteView plaintext) {
  EVP_CIPHER_CTX* ctx = ctx_->open;
  if (ctx == nullptr || nonce.size() != kAeadNonceLength || tag.size() != icv_length_ ||
      plaintext.size() < ciphertext.size() || !fits_int(ciphertext.size()) || !fits_int(aad.size())) {
    return false;
  }
  int len = 0;
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1) return false;
  // OpenSSL compares the tag in constant time inside EVP_DecryptFinal_ex.
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag.size()),
                          const_cast<std::uint8_t*>(tag.data())) != 1)
    return false;
  if (!aad.empty() && EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  if (!ciphertext.empty() &&
      EVP_DecryptUpdate(ctx, plaintext.data(), &len, ciphertext.data(), static_cast<int>(ciphertext.size())) != 1)
    return false;
  return EVP_DecryptFinal_ex(ctx, plaintext.data() + ciphertext.size(), &len) == 1;
}

}  // namespace cygnet::crypto
