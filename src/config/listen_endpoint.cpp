#include "config/listen_endpoint.hpp"

#include <charconv>

namespace cygnet::config {

std::string ListenEndpoint::to_string() const {
  const std::string host = address.is_v4() ? address.to_string() : "[" + address.to_string() + "]";
  return host + ":" + std::to_string(port);
}

std::optional<ListenEndpoint> parse_listen_endpoint(std::string_view text, std::string& error) {
  std::string_view host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected \"[IPv6]:PORT\"";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "expected \"ADDRESS:PORT\"";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      error = "an IPv6 address needs brackets: \"[ADDRESS]:PORT\"";
      return std::nullopt;
    }
  }
  const std::optional<wire::IpAddress> address = wire::IpAddress::parse(host);
  if (!address || address->is_v4() != !text.starts_with('[')) {
    error = "\"" + std::string(host) + "\" is not an IP" + (text.starts_with('[') ? "v6" : "v4") + " address";
    return std::nullopt;
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size()) {
    error = "\"" + std::string(port_text) + "\" is not a port number";
    return std::nullopt;
  }
  if (port == 0 || port > 65535) {
    error = "port " + std::string(port_text) + " is out of range 1-65535";
    return std::nullopt;
  }
  return ListenEndpoint{*address, static_cast<std::uint16_t>(port)};
}

}  // namespace cygnet::config
