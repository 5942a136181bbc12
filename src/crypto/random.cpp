#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>

#include "crypto/error.hpp"

namespace cygnet::crypto {

void random_bytes(MutableByteView out) {
  // RAND_bytes takes an int length; split huge requests (never seen in practice).
  std::size_t done = 0;
  while (done < out.size()) {
    std::size_t chunk = std::min<std::size_t>(out.size() - done, INT_MAX);
    if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) {
      throw CryptoError("RAND_bytes failed");
    }
    done += chunk;
  }
}

std::uint32_t random_u32() {
  std::uint8_t b[4];
  random_bytes(b);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

std::uint64_t random_u64() {
  return (std::uint64_t{random_u32()} << 32) | random_u32();
}

}  // namespace cygnet::crypto
