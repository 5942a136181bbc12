// Where the engine's Diffie-Hellman private keys come from. With the production RandomSource,
// OpenSSL generates them; with the simulator's seeded one, they are drawn from the seeded stream,
// so a simulated run — nonces, SPIs, IVs and key exchanges alike — replays byte for byte.
#pragma once

#include "crypto/key_exchange.hpp"
#include "ike/random_source.hpp"

namespace cygnet::ike {

crypto::KeyExchange new_key_exchange(crypto::DhGroup group, RandomSource& random);

}  // namespace cygnet::ike
