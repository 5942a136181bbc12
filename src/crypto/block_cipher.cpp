#include "crypto/block_cipher.hpp"

#include <openssl/evp.h>

#include <array>
#include <climits>

#include "crypto/error.hpp"

namespace cygnet::crypto {

namespace {
const EVP_CIPHER* fetch_cipher(CbcAlgorithm alg) {
  static EVP_CIPHER* aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  static EVP_CIPHER* aes192 = EVP_CIPHER_fetch(nullptr, "AES-192-CBC", nullptr);
  static EVP_CIPHER* aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  static EVP_CIPHER* des3 = EVP_CIPHER_fetch(nullptr, "DES-EDE3-CBC", nullptr);
  switch (alg) {
    case CbcAlgorithm::AesCbc128: return aes128;
    case CbcAlgorithm::AesCbc192: return aes192;
    case CbcAlgorithm::AesCbc256: return aes256;
    case CbcAlgorithm::TripleDesCbc: return des3;
  }
  return nullptr;
}

// The same block cipher in ECB mode, used once per packet to turn a nonce into an IV.
const EVP_CIPHER* fetch_block_function(CbcAlgorithm alg) {
  static EVP_CIPHER* aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  static EVP_CIPHER* aes192 = EVP_CIPHER_fetch(nullptr, "AES-192-ECB", nullptr);
  static EVP_CIPHER* aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  static EVP_CIPHER* des3 = EVP_CIPHER_fetch(nullptr, "DES-EDE3-ECB", nullptr);
  switch (alg) {
    case CbcAlgorithm::AesCbc128: return aes128;
    case CbcAlgorithm::AesCbc192: return aes192;
    case CbcAlgorithm::AesCbc256: return aes256;
    case CbcAlgorithm::TripleDesCbc: return des3;
  }
  return nullptr;
}
}  // namespace

std::size_t cbc_key_length(CbcAlgorithm alg) {
  switch (alg) {
    case CbcAlgorithm::AesCbc128: return 16;
    case CbcAlgorithm::AesCbc192: return 24;
    case CbcAlgorithm::AesCbc256: return 32;
    case CbcAlgorithm::TripleDesCbc: return 24;
  }
  return 0;
}

std::size_t cbc_block_size(CbcAlgorithm alg) { return alg == CbcAlgorithm::TripleDesCbc ? 8 : 16; }

const char* cbc_name(CbcAlgorithm alg) {
  switch (alg) {
    case CbcAlgorithm::AesCbc128: return "aes128";
    case CbcAlgorithm::AesCbc192: return "aes192";
    case CbcAlgorithm::AesCbc256: return "aes256";
    case CbcAlgorithm::TripleDesCbc: return "3des";
  }
  return "?";
}

struct CbcCipher::Contexts {
  EVP_CIPHER_CTX* encrypt = nullptr;
  EVP_CIPHER_CTX* decrypt = nullptr;
  EVP_CIPHER_CTX* iv_function = nullptr;
  ~Contexts() {
    EVP_CIPHER_CTX_free(encrypt);
    EVP_CIPHER_CTX_free(decrypt);
    EVP_CIPHER_CTX_free(iv_function);
  }
};

CbcCipher::CbcCipher(CbcAlgorithm alg, ByteView key) : alg_(alg), ctx_(std::make_unique<Contexts>()) {
  if (key.size() != cbc_key_length(alg)) throw CryptoError(std::string("wrong key length for ") + cbc_name(alg));
  const EVP_CIPHER* cipher = fetch_cipher(alg);
  if (cipher == nullptr) throw CryptoError(std::string("OpenSSL lacks ") + cbc_name(alg));
  auto make = [&](int encrypt, const EVP_CIPHER* mode) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr || mode == nullptr ||
        EVP_CipherInit_ex2(ctx, mode, key.data(), nullptr, encrypt, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {  // ESP pads itself (RFC 4303 §2.4)
      EVP_CIPHER_CTX_free(ctx);
      throw CryptoError(std::string("cannot initialise ") + cbc_name(alg));
    }
    return ctx;
  };
  ctx_->encrypt = make(1, cipher);
  ctx_->decrypt = make(0, cipher);
  ctx_->iv_function = make(1, fetch_block_function(alg));
}

CbcCipher::~CbcCipher() = default;
CbcCipher::CbcCipher(CbcCipher&&) noexcept = default;
CbcCipher& CbcCipher::operator=(CbcCipher&&) noexcept = default;

std::size_t CbcCipher::block_size() const { return cbc_block_size(alg_); }

namespace {
bool run(EVP_CIPHER_CTX* ctx, std::size_t block, ByteView iv, std::initializer_list<ByteView> parts,
         MutableByteView out) {
  std::size_t total = 0;
  for (ByteView part : parts) total += part.size();
  if (iv.size() != block || total % block != 0 || out.size() < total ||
      total > static_cast<std::size_t>(INT_MAX)) {
    return false;
  }
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, iv.data(), -1) != 1) return false;
  std::size_t written = 0;
  for (ByteView part : parts) {
    if (part.empty()) continue;
    int len = 0;
    if (EVP_CipherUpdate(ctx, out.data() + written, &len, part.data(), static_cast<int>(part.size())) != 1)
      return false;
    written += static_cast<std::size_t>(len);
  }
  int final_len = 0;
  return EVP_CipherFinal_ex(ctx, out.data() + written, &final_len) == 1;
}
}  // namespace

bool CbcCipher::encrypt(ByteView iv, ByteView in, MutableByteView out) {
  return run(ctx_->encrypt, block_size(), iv, {in}, out);
}
bool CbcCipher::encrypt(ByteView iv, std::initializer_list<ByteView> parts, MutableByteView out) {
  return run(ctx_->encrypt, block_size(), iv, parts, out);
}
bool CbcCipher::make_iv(std::uint64_t nonce, MutableByteView iv) {
  const std::size_t block = block_size();
  if (iv.size() != block) return false;
  std::array<std::uint8_t, 16> input{};
  for (std::size_t i = 0; i < 8; ++i) input[block - 1 - i] = static_cast<std::uint8_t>(nonce >> (8 * i));
  int len = 0;
  return EVP_EncryptUpdate(ctx_->iv_function, iv.data(), &len, input.data(), static_cast<int>(block)) == 1 &&
         static_cast<std::size_t>(len) == block;
}

bool CbcCipher::decrypt(ByteView iv, ByteView in, MutableByteView out) {
  return run(ctx_->decrypt, block_size(), iv, {in}, out);
}

}  // namespace cygnet::crypto
