#include "crypto/legacy_algorithms.hpp"

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <memory>

#include "crypto/error.hpp"
#include "crypto/openssl_deleter.hpp"

namespace cygnet::crypto {
namespace {

// The private context, its providers and the two fetched algorithms, created once (thread-safe
// static initialisation) and kept for the life of the process.
class LegacyContext {
 public:
  LegacyContext() {
    context_ = OSSL_LIB_CTX_new();
    if (context_ == nullptr) return;
    legacy_ = OSSL_PROVIDER_load(context_, "legacy");
    default_ = OSSL_PROVIDER_load(context_, "default");
    if (legacy_ == nullptr || default_ == nullptr) return;
    md4_ = EVP_MD_fetch(context_, "MD4", nullptr);
    des_ = EVP_CIPHER_fetch(context_, "DES-ECB", nullptr);
  }
  ~LegacyContext() {
    EVP_MD_free(md4_);
    EVP_CIPHER_free(des_);
    if (legacy_ != nullptr) OSSL_PROVIDER_unload(legacy_);
    if (default_ != nullptr) OSSL_PROVIDER_unload(default_);
    OSSL_LIB_CTX_free(context_);
  }
  LegacyContext(const LegacyContext&) = delete;
  LegacyContext& operator=(const LegacyContext&) = delete;

  const EVP_MD* md4() const {
    if (md4_ == nullptr) throw CryptoError("MD4 unavailable: OpenSSL legacy provider not loaded");
    return md4_;
  }
  const EVP_CIPHER* des() const {
    if (des_ == nullptr) throw CryptoError("DES unavailable: OpenSSL legacy provider not loaded");
    return des_;
  }

 private:
  OSSL_LIB_CTX* context_ = nullptr;
  OSSL_PROVIDER* legacy_ = nullptr;
  OSSL_PROVIDER* default_ = nullptr;
  EVP_MD* md4_ = nullptr;
  EVP_CIPHER* des_ = nullptr;
};

const LegacyContext& legacy() {
  static const LegacyContext context;
  return context;
}

}  // namespace

SecureBytes md4(ByteView data) {
  std::unique_ptr<EVP_MD_CTX, detail::OpenSslDeleter<&EVP_MD_CTX_free>> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), legacy().md4(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1)
    throw CryptoError("md4: init/update failed");
  SecureBytes out(16);
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.mutable_view().data(), &length) != 1 || length != 16)
    throw CryptoError("md4: final failed");
  return out;
}

std::array<std::uint8_t, 8> des_encrypt_block(ByteView key8, ByteView block8) {
  if (key8.size() != 8 || block8.size() != 8) throw CryptoError("des: key and block must be 8 bytes");
  std::unique_ptr<EVP_CIPHER_CTX, detail::OpenSslDeleter<&EVP_CIPHER_CTX_free>> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), legacy().des(), key8.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1)
    throw CryptoError("des: init failed");
  std::array<std::uint8_t, 8> out{};
  int length = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &length, block8.data(), 8) != 1 || length != 8)
    throw CryptoError("des: encrypt failed");
  return out;
}

}  // namespace cygnet::crypto
