#include "crypto/secure_bytes.hpp"

#include <openssl/crypto.h>

namespace cygnet::crypto {

void secure_wipe(void* data, std::size_t size) {
  if (data != nullptr && size != 0) OPENSSL_cleanse(data, size);
}

}  // namespace cygnet::crypto
