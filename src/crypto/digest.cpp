#include "crypto/digest.hpp"

#include <openssl/evp.h>

#include <memory>

#include "crypto/error.hpp"
#include "crypto/openssl_deleter.hpp"

namespace cygnet::crypto {
namespace {

const EVP_MD* md_for(HashAlgorithm alg) {
  switch (alg) {
    case HashAlgorithm::Sha1: return EVP_sha1();
    case HashAlgorithm::Sha256: return EVP_sha256();
    case HashAlgorithm::Sha384: return EVP_sha384();
    case HashAlgorithm::Sha512: return EVP_sha512();
  }
  return nullptr;
}


}  // namespace

Bytes digest(HashAlgorithm alg, std::initializer_list<ByteView> parts) {
  std::unique_ptr<EVP_MD_CTX, detail::OpenSslDeleter<&EVP_MD_CTX_free>> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md_for(alg), nullptr) != 1)
    throw CryptoError("digest: init failed");
  for (ByteView part : parts)
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1)
      throw CryptoError("digest: update failed");
  Bytes out(hash_length(alg));
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &length) != 1 || length != out.size())
    throw CryptoError("digest: final failed");
  return out;
}

}  // namespace cygnet::crypto
