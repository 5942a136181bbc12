// HMAC with the key scheduled once; used for ESP/AH integrity (RFC 4868, RFC 2404) and as the
// IKE PRF (full-length output).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>

#include "base/bytes.hpp"

namespace cygnet::crypto {

enum class HashAlgorithm : std::uint8_t { Sha1, Sha256, Sha384, Sha512 };

std::size_t hash_length(HashAlgorithm alg);
const char* hash_name(HashAlgorithm alg);

// Integrity transforms: an HMAC truncated to an ICV length.
enum class IntegrityAlgorithm : std::uint8_t {
  HmacSha1_96,       // RFC 2404 — interoperability only
  HmacSha256_128,    // RFC 4868
  HmacSha384_192,
  HmacSha512_256,
};
HashAlgorithm integrity_hash(IntegrityAlgorithm alg);
std::size_t integrity_key_length(IntegrityAlgorithm alg);
std::size_t integrity_icv_length(IntegrityAlgorithm alg);
const char* integrity_name(IntegrityAlgorithm alg);

class Hmac {
 public:
  Hmac(HashAlgorithm alg, ByteView key);  // any key length (HMAC hashes long keys)
  ~Hmac();
  Hmac(Hmac&&) noexcept;
  Hmac& operator=(Hmac&&) noexcept;
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  HashAlgorithm algorithm() const { return alg_; }
  std::size_t output_length() const { return hash_length(alg_); }

  // MAC over the concatenation of parts, truncated to out.size() (<= output_length()).
  bool compute(std::initializer_list<ByteView> parts, MutableByteView out);
  // Recomputes and compares against expected (its size = truncation) in constant time.
  bool verify(std::initializer_list<ByteView> parts, ByteView expected);

 private:
  struct Contexts;
  HashAlgorithm alg_;
  std::unique_ptr<Contexts> ctx_;
};

}  // namespace cygnet::crypto
