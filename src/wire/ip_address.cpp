#include "wire/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace cygnet::wire {

namespace {

// Longest text inet_pton could accept ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45).
constexpr std::size_t kMaxAddressText = 64;

// Copies text into a NUL-terminated buffer for inet_pton; false if it is too long or holds a NUL.
bool to_c_string(std::string_view text, char (&buffer)[kMaxAddressText + 1]) {
  if (text.empty() || text.size() > kMaxAddressText) return false;
  if (text.find('\0') != std::string_view::npos) return false;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  return true;
}

// Parses a prefix length: 1 to 3 decimal digits, no sign or spaces.
std::optional<unsigned> parse_prefix_length(std::string_view text) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

}  // namespace

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress a;
  a.family_ = IpFamily::V4;
  a.octets_[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.octets_[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.octets_[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.octets_[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

// Takes the first 4 bytes; a shorter view leaves the missing bytes zero.
IpAddress IpAddress::v4(ByteView four_bytes) {
  IpAddress a;
  a.family_ = IpFamily::V4;
  std::copy_n(four_bytes.begin(), std::min<std::size_t>(four_bytes.size(), 4), a.octets_.begin());
  return a;
}

// Takes the first 16 bytes; a shorter view leaves the missing bytes zero.
IpAddress IpAddress::v6(ByteView sixteen_bytes) {
  IpAddress a;
  a.family_ = IpFamily::V6;
  std::copy_n(sixteen_bytes.begin(), std::min<std::size_t>(sixteen_bytes.size(), 16),
              a.octets_.begin());
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  char buffer[kMaxAddressText + 1];
  if (!to_c_string(text, buffer)) return std::nullopt;
  IpAddress a;
  if (text.find(':') != std::string_view::npos) {
    if (inet_pton(AF_INET6, buffer, a.octets_.data()) != 1) return std::nullopt;
    a.family_ = IpFamily::V6;
  } else {
    if (inet_pton(AF_INET, buffer, a.octets_.data()) != 1) return std::nullopt;
    a.family_ = IpFamily::V4;
  }
  return a;
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  const int af = is_v4() ? AF_INET : AF_INET6;
  if (inet_ntop(af, octets_.data(), buffer, sizeof buffer) == nullptr) return {};
  return std::string(buffer);
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  unsigned length = static_cast<unsigned>(address->bit_length());
  if (slash != std::string_view::npos) {
    auto parsed = parse_prefix_length(text.substr(slash + 1));
    if (!parsed || *parsed > address->bit_length()) return std::nullopt;
    length = *parsed;
  }
  // Clear the host bits.
  std::array<std::uint8_t, 16> octets{};
  ByteView in = address->bytes();
  std::copy(in.begin(), in.end(), octets.begin());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::size_t bit = i * 8;
    if (bit >= length) {
      octets[i] = 0;
    } else if (bit + 8 > length) {
      const unsigned keep = length - static_cast<unsigned>(bit);  // 1..7
      octets[i] = static_cast<std::uint8_t>(octets[i] & (0xFFu << (8 - keep)));
    }
  }
  const ByteView masked(octets.data(), in.size());
  IpPrefix prefix;
  prefix.address = address->is_v4() ? IpAddress::v4(masked) : IpAddress::v6(masked);
  prefix.length = static_cast<std::uint8_t>(length);
  return prefix;
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != address.family()) return false;
  const std::size_t length_bits = std::min<std::size_t>(length, a.bit_length());
  ByteView x = address.bytes();
  ByteView y = a.bytes();
  const std::size_t whole = length_bits / 8;
  if (!std::equal(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(whole), y.begin()))
    return false;
  const std::size_t partial = length_bits % 8;
  if (partial == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - partial));
  return (x[whole] & mask) == (y[whole] & mask);
}

std::string IpPrefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

std::size_t IpAddressHash::operator()(const IpAddress& a) const {
  // FNV-1a (64-bit) over the family tag and the address bytes.
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 0x100000001b3ull;
  };
  mix(static_cast<std::uint8_t>(a.family()));
  for (std::uint8_t b : a.bytes()) mix(b);
  return static_cast<std::size_t>(h);
}

}  // namespace cygnet::wire
