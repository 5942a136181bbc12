#include "crypto/constant_time.hpp"

#include <openssl/crypto.h>

namespace cygnet::crypto {

bool equal_constant_time(ByteView a, ByteView b) {
  // Lengths are public (ICV sizes); only the contents must not leak through timing.
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cygnet::crypto
