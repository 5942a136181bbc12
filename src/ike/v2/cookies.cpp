#include "ike/v2/cookies.hpp"

#include <array>

#include "crypto/constant_time.hpp"
#include "crypto/hmac.hpp"
#include "ike/random_source.hpp"

namespace cygnet::ike {

namespace {
constexpr std::size_t kVersionLength = 4;
constexpr std::size_t kSecretLength = 32;

std::array<std::uint8_t, 8> be64(std::uint64_t v) {
  std::array<std::uint8_t, 8> out{};
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
  return out;
}
}  // namespace

void CookieJar::rotate_if_due(RandomSource& random, TimePoint now) {
  if (current_ && now - rotated_at_ < rotation_) return;
  Secret next;
  next.version = current_ ? current_->version + 1 : random.next_u32();
  next.key = crypto::SecureBytes(kSecretLength);
  random.fill(next.key.mutable_view());
  previous_ = std::move(current_);
  current_ = std::move(next);
  rotated_at_ = now;
}

Bytes CookieJar::compute(const Secret& secret, ByteView ni, const wire::IpAddress& initiator,
                         std::uint64_t spi_i) {
  Bytes cookie(kVersionLength + crypto::hash_length(crypto::HashAlgorithm::Sha256));
  for (std::size_t i = 0; i < kVersionLength; ++i)
    cookie[i] = static_cast<std::uint8_t>(secret.version >> (8 * (kVersionLength - 1 - i)));
  crypto::Hmac mac(crypto::HashAlgorithm::Sha256, secret.key.view());
  const auto spi = be64(spi_i);
  mac.compute({ni, initiator.bytes(), ByteView(spi)}, MutableByteView(cookie).subspan(kVersionLength));
  return cookie;
}

Bytes CookieJar::make(ByteView ni, const wire::IpAddress& initiator, std::uint64_t spi_i,
                      RandomSource& random, TimePoint now) {
  rotate_if_due(random, now);
  return compute(*current_, ni, initiator, spi_i);
}

bool CookieJar::verify(ByteView cookie, ByteView ni, const wire::IpAddress& initiator,
                       std::uint64_t spi_i) const {
  if (cookie.size() != kVersionLength + crypto::hash_length(crypto::HashAlgorithm::Sha256)) return false;
  std::uint32_t version = 0;
  for (std::size_t i = 0; i < kVersionLength; ++i) version = (version << 8) | cookie[i];
  for (const auto* secret : {&current_, &previous_}) {
    if (!*secret || (*secret)->version != version) continue;
    const Bytes expected = compute(**secret, ni, initiator, spi_i);
    return crypto::equal_constant_time(expected, cookie);
  }
  return false;
}

}  // namespace cygnet::ike
