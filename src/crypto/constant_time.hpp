#pragma once

#include "base/bytes.hpp"

namespace cygnet::crypto {

// Compares ICVs/MACs in time independent of where they differ (CRYPTO_memcmp).
bool equal_constant_time(ByteView a, ByteView b);

}  // namespace cygnet::crypto
