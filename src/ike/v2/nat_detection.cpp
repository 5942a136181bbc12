#include "ike/v2/nat_detection.hpp"

#include <array>

#include "crypto/digest.hpp"

namespace cygnet::ike {

namespace {
std::array<std::uint8_t, 8> spi_bytes(std::uint64_t spi) {
  std::array<std::uint8_t, 8> out{};
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(spi & 0xff);
    spi >>= 8;
  }
  return out;
}
}  // namespace

Bytes nat_detection_hash(std::uint64_t spi_i, std::uint64_t spi_r, const Endpoint& endpoint) {
  const auto i = spi_bytes(spi_i);
  const auto r = spi_bytes(spi_r);
  const std::array<std::uint8_t, 2> port{static_cast<std::uint8_t>(endpoint.port >> 8),
                                         static_cast<std::uint8_t>(endpoint.port & 0xff)};
  return crypto::digest(crypto::HashAlgorithm::Sha1,
                        {ByteView(i), ByteView(r), endpoint.address.bytes(), ByteView(port)});
}

Bytes forced_nat_detection_hash(std::uint64_t spi_i, std::uint64_t spi_r, const Endpoint& endpoint) {
  Bytes hash = nat_detection_hash(spi_i, spi_r, endpoint);
  for (auto& b : hash) b = static_cast<std::uint8_t>(~b);  // differs in every byte
  return hash;
}

}  // namespace cygnet::ike
