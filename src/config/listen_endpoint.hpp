// "ADDRESS:PORT" for a TCP listener, e.g. [daemon] metrics: "127.0.0.1:9750" or "[::1]:9750"
// (IPv6 in brackets, as in URLs). Port 1-65535; no host names, no zone IDs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wire/ip_address.hpp"

namespace cygnet::config {

struct ListenEndpoint {
  wire::IpAddress address;
  std::uint16_t port = 0;
  std::string to_string() const;  // "127.0.0.1:9750", "[::1]:9750"
  friend bool operator==(const ListenEndpoint&, const ListenEndpoint&) = default;
};

// nullopt with `error` set to a sentence ("port 0 is out of range 1-65535").
std::optional<ListenEndpoint> parse_listen_endpoint(std::string_view text, std::string& error);

}  // namespace cygnet::config
