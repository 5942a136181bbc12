// Where the IKE engine gets its randomness (nonces, SPIs, jitter, cookie secrets). Production uses
// OpenSSL's CSPRNG; the simulator injects a seeded generator so every run replays from its seed.
#pragma once

#include <cstdint>
#include <memory>

#include "base/bytes.hpp"

namespace cygnet::ike {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(MutableByteView out) = 0;
  // True for the simulator's seeded source: the engine then also draws its Diffie-Hellman private
  // keys from it (key_exchange_factory.hpp), so runs replay exactly.
  virtual bool deterministic() const { return false; }
  std::uint32_t next_u32();
  std::uint64_t next_u64();
  double next_unit();  // uniform in [0, 1)
};

std::shared_ptr<RandomSource> system_random();  // crypto::random_bytes

// Deterministic (tests and simulator only): ChaCha20 keystream from the seed via OpenSSL.
std::shared_ptr<RandomSource> seeded_random(std::uint64_t seed);

}  // namespace cygnet::ike
