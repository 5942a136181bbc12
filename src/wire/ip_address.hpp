// IPv4/IPv6 addresses and prefixes as values (no sockets involved).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace cygnet::wire {

enum class IpFamily : std::uint8_t { V4 = 4, V6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v4(ByteView four_bytes);
  static IpAddress v6(ByteView sixteen_bytes);
  static std::optional<IpAddress> parse(std::string_view text);  // "192.0.2.1", "2001:db8::1"

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::V4; }
  // 4 or 16 bytes in network order.
  ByteView bytes() const { return ByteView(octets_.data(), is_v4() ? 4 : 16); }
  std::size_t bit_length() const { return is_v4() ? 32 : 128; }
  std::string to_string() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  IpFamily family_ = IpFamily::V4;
  std::array<std::uint8_t, 16> octets_{};  // v4 uses the first 4; the rest stay zero
};

struct IpPrefix {
  IpAddress address;  // host bits beyond length are zero after parse()
  std::uint8_t length = 0;

  static std::optional<IpPrefix> parse(std::string_view text);  // "198.51.100.0/24"; bare address = host prefix
  bool contains(const IpAddress& a) const;
  std::string to_string() const;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

// Hash for unordered containers keyed by address.
struct IpAddressHash {
  std::size_t operator()(const IpAddress& a) const;
};

}  // namespace cygnet::wire
