#include "ike/key_exchange_factory.hpp"

#include "crypto/error.hpp"

namespace cygnet::ike {
namespace {

// Private key bytes the test-only KeyExchange constructor takes: a 512-bit exponent for MODP
// (twice the strength of group 16), a scalar of the field size for ECP, raw keys for X25519/X448.
std::size_t private_length(crypto::DhGroup group) {
  switch (group) {
    case crypto::DhGroup::Ecp256: return 32;
    case crypto::DhGroup::Ecp384: return 48;
    case crypto::DhGroup::Ecp521: return 66;
    case crypto::DhGroup::Curve25519: return 32;
    case crypto::DhGroup::Curve448: return 56;
    default: return 64;  // MODP
  }
}

}  // namespace

crypto::KeyExchange new_key_exchange(crypto::DhGroup group, RandomSource& random) {
  if (!random.deterministic()) return crypto::KeyExchange(group);
  for (int attempt = 0; attempt < 8; ++attempt) {
    Bytes key(private_length(group));
    random.fill(key);
    if (group == crypto::DhGroup::Ecp521) key[0] &= 0x01;  // 521 bits: keep the scalar below 2^521
    if (key[0] == 0 && group != crypto::DhGroup::Curve25519 && group != crypto::DhGroup::Curve448)
      key[0] = 1;  // never zero
    try {
      return crypto::KeyExchange(group, key);
    } catch (const crypto::CryptoError&) {
      // A scalar the group refuses (vanishingly rare): draw again.
    }
  }
  return crypto::KeyExchange(group);
}

}  // namespace cygnet::ike
