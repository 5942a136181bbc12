// Fuzz target: the remote_addrs host name check (config/host_name.hpp). Any bytes must give a
// verdict without a crash, and an accepted name must keep the documented shape.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/host_name.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!cygnet::config::is_host_name(text)) return 0;
  const bool allowed_characters = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
  if (text.size() > 253 || !allowed_characters || text.front() == '.' || text.back() == '.' ||
      text.find("..") != std::string_view::npos)
    std::abort();
  return 0;
}
