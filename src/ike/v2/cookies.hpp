// Stateless cookies against IKE_SA_INIT floods (RFC 7296 §2.6):
// Cookie = VersionIdOfSecret | HMAC-SHA256(secret, Ni | IPi | SPIi). The secret comes from the
// engine's RandomSource and is rotated; cookies made with the previous secret still verify, so a
// rotation never fails an initiator that is just retrying.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/secure_bytes.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::ike {

class RandomSource;

class CookieJar {
 public:
  explicit CookieJar(Seconds rotation = Seconds{120}) : rotation_(rotation) {}

  Bytes make(ByteView ni, const wire::IpAddress& initiator, std::uint64_t spi_i, RandomSource& random,
             TimePoint now);
  bool verify(ByteView cookie, ByteView ni, const wire::IpAddress& initiator, std::uint64_t spi_i) const;

 private:
  struct Secret {
    std::uint32_t version = 0;
    crypto::SecureBytes key;
  };
  void rotate_if_due(RandomSource& random, TimePoint now);
  static Bytes compute(const Secret& secret, ByteView ni, const wire::IpAddress& initiator,
                       std::uint64_t spi_i);

  Seconds rotation_;
  std::optional<Secret> current_;
  std::optional<Secret> previous_;
  TimePoint rotated_at_{};
};

}  // namespace cygnet::ike
