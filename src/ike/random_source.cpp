// The two randomness sources of the IKE engine: OpenSSL's CSPRNG for the daemon, and a seeded,
// replayable keystream for the simulator.
#include "ike/random_source.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include "crypto/aead.hpp"
#include "crypto/random.hpp"
#include "crypto/secure_bytes.hpp"

namespace cygnet::ike {

std::uint32_t RandomSource::next_u32() {
  std::array<std::uint8_t, 4> b{};
  fill(b);
  return std::uint32_t{b[0]} | (std::uint32_t{b[1]} << 8) | (std::uint32_t{b[2]} << 16) |
         (std::uint32_t{b[3]} << 24);
}

std::uint64_t RandomSource::next_u64() {
  std::array<std::uint8_t, 8> b{};
  fill(b);
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[static_cast<std::size_t>(i)];
  return v;
}

double RandomSource::next_unit() {
  // The top 53 bits fill a double's mantissa exactly: uniform in [0, 1), never 1.
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

namespace {

class SystemRandom final : public RandomSource {
 public:
  void fill(MutableByteView out) override { crypto::random_bytes(out); }
};

// SplitMix64 (Steele, Lea, Flood 2014): spreads the 64-bit seed over the 256-bit ChaCha20 key so
// that neighbouring seeds give unrelated streams.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// NOT cryptographically secure: the whole stream follows from a 64-bit seed that anybody can
// search. It exists so that simulations and tests replay exactly; the daemon must never use it.
// The stream is the ChaCha20 keystream (RFC 8439) under a key derived from the seed: sealing zeros
// with ChaCha20-Poly1305 yields the keystream itself, and the nonce counts the refills.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : aead_(make_aead(seed)) {}

  bool deterministic() const override { return true; }
  void fill(MutableByteView out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      if (used_ == buffer_.size()) refill();
      const std::size_t n = std::min(out.size() - done, buffer_.size() - used_);
      std::memcpy(out.data() + done, buffer_.data() + used_, n);
      used_ += n;
      done += n;
    }
  }

 private:
  static crypto::Aead make_aead(std::uint64_t seed) {
    crypto::SecureBytes key(32);
    std::uint64_t state = seed;
    for (std::size_t word = 0; word < 4; ++word) {
      std::uint64_t v = splitmix64(state);
      for (std::size_t i = 0; i < 8; ++i) key.mutable_view()[word * 8 + i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
    return crypto::Aead(crypto::AeadAlgorithm::ChaCha20Poly1305, key.view(), 16, crypto::AeadUse::Seal);
  }

  void refill() {
    std::array<std::uint8_t, crypto::kAeadNonceLength> nonce{};
    for (std::size_t i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(block_ >> (8 * i));
    ++block_;
    std::array<std::uint8_t, 16> tag{};
    buffer_.fill(0);
    if (!aead_.seal(nonce, ByteView{}, buffer_, buffer_, tag)) {
      // ChaCha20 over a fixed buffer cannot fail short of memory exhaustion; a silent
      // non-deterministic fallback would break replay, so fail loudly.
      throw std::runtime_error("seeded_random: ChaCha20 keystream failed");
    }
    used_ = 0;
  }

  crypto::Aead aead_;
  std::array<std::uint8_t, 1024> buffer_{};
  std::size_t used_ = buffer_.size();
  std::uint64_t block_ = 0;
};

}  // namespace

std::shared_ptr<RandomSource> system_random() { return std::make_shared<SystemRandom>(); }

std::shared_ptr<RandomSource> seeded_random(std::uint64_t seed) { return std::make_shared<SeededRandom>(seed); }

}  // namespace cygnet::ike
