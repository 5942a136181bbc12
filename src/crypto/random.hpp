// The only randomness source: OpenSSL's CSPRNG (RAND_bytes).
#pragma once

#include <cstdint>

#include "base/bytes.hpp"

namespace cygnet::crypto {

// Fills out with random bytes; throws CryptoError if the CSPRNG fails (never returns weak bytes).
void random_bytes(MutableByteView out);
std::uint32_t random_u32();
std::uint64_t random_u64();

}  // namespace cygnet::crypto
