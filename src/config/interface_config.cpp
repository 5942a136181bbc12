#include "config/interface_config.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace cygnet::config {

namespace {
constexpr std::size_t kMaxInterfaceName = 15;  // IFNAMSIZ less the terminator
}

std::optional<std::string> interface_name_problem(std::string_view name) {
  if (name.empty() || name.size() > kMaxInterfaceName)
    return "an interface name has 1 to 15 characters (\"" + std::string(name) + "\" has " +
           std::to_string(name.size()) + ")";
  if (name == "." || name == "..") return "\"" + std::string(name) + "\" cannot name an interface";
  const bool bad_character = std::any_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == '%' || c <= ' ' || c == '\x7f';
  });
  if (bad_character)
    return "an interface name has no '/', ':', '%' or spaces (\"" + std::string(name) + "\")";
  return std::nullopt;
}

std::optional<wire::IpPrefix> parse_interface_address(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto address = wire::IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  const std::string_view length_text = text.substr(slash + 1);
  unsigned length = 0;
  const auto [end, error] =
      std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  if (error != std::errc() || end != length_text.data() + length_text.size() || length_text.empty())
    return std::nullopt;
  if (length == 0 || length > address->bit_length()) return std::nullopt;
  return wire::IpPrefix{*address, static_cast<std::uint8_t>(length)};
}

bool is_whole_family(const wire::IpPrefix& prefix) {
  return prefix.length == 0;
}

ExistingInterface existing_interface(std::string_view name, const std::filesystem::path& sysfs_net) {
  std::error_code error;
  const std::filesystem::path device = sysfs_net / std::string(name);
  if (!std::filesystem::exists(device, error)) return ExistingInterface::None;
  // Only TUN/TAP devices have tun_flags (drivers/net/tun.c).
  return std::filesystem::exists(device / "tun_flags", error) ? ExistingInterface::Tun
                                                              : ExistingInterface::Other;
}

}  // namespace cygnet::config
