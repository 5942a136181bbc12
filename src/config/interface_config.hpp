// The pieces of a route-based connection's `interface`, `interface_addrs`, `routes` and `mtu`
// keys that need no TOML: name and address checks, the whole-family selector rule, and the look
// at the host for a device of that name that is not a TUN device. validate.cpp reports them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "wire/ip_address.hpp"

namespace cygnet::config {

// Linux's dev_valid_name() plus '%' (a pattern the kernel would expand): nullopt when `name` may
// name an interface, otherwise why not.
std::optional<std::string> interface_name_problem(std::string_view name);

// "169.254.21.2/30": an address with its prefix length, host bits kept (IpPrefix::parse would
// clear them). A bare address is refused: the length decides the on-link route.
std::optional<wire::IpPrefix> parse_interface_address(std::string_view text);

// 0.0.0.0/0 or ::/0: the only selectors a route-based child carries (its routes pick the traffic).
bool is_whole_family(const wire::IpPrefix& prefix);

// The MTU range of a route-based interface: IPv6's minimum link MTU to a jumbo frame.
constexpr int kMinInterfaceMtu = 1280;
constexpr int kMaxInterfaceMtu = 9000;

// What the host has under `name` (sysfs_net: /sys/class/net, a test may point elsewhere).
enum class ExistingInterface { None, Tun, Other };
ExistingInterface existing_interface(std::string_view name,
                                     const std::filesystem::path& sysfs_net = "/sys/class/net");

}  // namespace cygnet::config
