#include "crypto/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>

#include "crypto/constant_time.hpp"
#include "crypto/error.hpp"
#include "crypto/secure_bytes.hpp"

namespace cygnet::crypto {

std::size_t hash_length(HashAlgorithm alg) {
  switch (alg) {
    case HashAlgorithm::Sha1: return 20;
    case HashAlgorithm::Sha256: return 32;
    case HashAlgorithm::Sha384: return 48;
    case HashAlgorithm::Sha512: return 64;
  }
  return 0;
}

const char* hash_name(HashAlgorithm alg) {
  switch (alg) {
    case HashAlgorithm::Sha1: return "SHA1";
    case HashAlgorithm::Sha256: return "SHA256";
    case HashAlgorithm::Sha384: return "SHA384";
    case HashAlgorithm::Sha512: return "SHA512";
  }
  return "?";
}

HashAlgorithm integrity_hash(IntegrityAlgorithm alg) {
  switch (alg) {
    case IntegrityAlgorithm::HmacSha1_96: return HashAlgorithm::Sha1;
    case IntegrityAlgorithm::HmacSha256_128: return HashAlgorithm::Sha256;
    case IntegrityAlgorithm::HmacSha384_192: return HashAlgorithm::Sha384;
    case IntegrityAlgorithm::HmacSha512_256: return HashAlgorithm::Sha512;
  }
  return HashAlgorithm::Sha256;
}

// RFC 4868 §2.1.1: the key is as long as the hash output; RFC 2404: 160-bit key for SHA-1.
std::size_t integrity_key_length(IntegrityAlgorithm alg) { return hash_length(integrity_hash(alg)); }

std::size_t integrity_icv_length(IntegrityAlgorithm alg) {
  switch (alg) {
    case IntegrityAlgorithm::HmacSha1_96: return 12;
    case IntegrityAlgorithm::HmacSha256_128: return 16;
    case IntegrityAlgorithm::HmacSha384_192: return 24;
    case IntegrityAlgorithm::HmacSha512_256: return 32;
  }
  return 0;
}

const char* integrity_name(IntegrityAlgorithm alg) {
  switch (alg) {
    case IntegrityAlgorithm::HmacSha1_96: return "sha1";
    case IntegrityAlgorithm::HmacSha256_128: return "sha256";
    case IntegrityAlgorithm::HmacSha384_192: return "sha384";
    case IntegrityAlgorithm::HmacSha512_256: return "sha512";
  }
  return "?";
}

namespace {
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}
}  // namespace

struct Hmac::Contexts {
  EVP_MAC_CTX* ctx = nullptr;
  ~Contexts() { EVP_MAC_CTX_free(ctx); }  // OpenSSL cleanses the keyed state
};

Hmac::Hmac(HashAlgorithm alg, ByteView key) : alg_(alg), ctx_(std::make_unique<Contexts>()) {
  if (hmac_algorithm() == nullptr) throw CryptoError("OpenSSL lacks HMAC");
  ctx_->ctx = EVP_MAC_CTX_new(hmac_algorithm());
  if (ctx_->ctx == nullptr) throw CryptoError("cannot create HMAC context");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(hash_name(alg)), 0),
      OSSL_PARAM_construct_end(),
  };
  // OpenSSL rejects a NULL key pointer even for length 0 (RFC 2104 allows empty keys).
  static const std::uint8_t empty_key[1] = {0};
  const std::uint8_t* key_ptr = key.empty() ? empty_key : key.data();
  if (EVP_MAC_init(ctx_->ctx, key_ptr, key.size(), params) != 1) {
    throw CryptoError(std::string("cannot key HMAC-") + hash_name(alg));
  }
}

Hmac::~Hmac() = default;
Hmac::Hmac(Hmac&&) noexcept = default;
Hmac& Hmac::operator=(Hmac&&) noexcept = default;

bool Hmac::compute(std::initializer_list<ByteView> parts, MutableByteView out) {
  if (out.size() > output_length()) return false;
  // A NULL key re-initialises with the key scheduled in the constructor.
  if (EVP_MAC_init(ctx_->ctx, nullptr, 0, nullptr) != 1) return false;
  for (ByteView part : parts) {
    if (!part.empty() && EVP_MAC_update(ctx_->ctx, part.data(), part.size()) != 1) return false;
  }
  std::array<std::uint8_t, 64> full;
  std::size_t written = 0;
  if (EVP_MAC_final(ctx_->ctx, full.data(), &written, full.size()) != 1 || written != output_length()) {
    return false;
  }
  std::copy_n(full.begin(), out.size(), out.begin());
  secure_wipe(full.data(), full.size());
  return true;
}

bool Hmac::verify(std::initializer_list<ByteView> parts, ByteView expected) {
  std::array<std::uint8_t, 64> computed;
  if (expected.empty() || expected.size() > output_length()) return false;
  MutableByteView mine(computed.data(), expected.size());
  if (!compute(parts, mine)) return false;
  return equal_constant_time(mine, expected);
}

}  // namespace cygnet::crypto
