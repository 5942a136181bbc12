// Fuzz target: a shunt's traffic selector text ("192.0.2.0/24[tcp/22]", config/selector_text.hpp).
// Any text must yield either a selector or a reason, never a crash or sanitizer report; a parsed
// selector keeps the parser's promises: ports only with tcp, udp or sctp, low end first, and a
// prefix length within its family.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "config/selector_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = cygnet::config::parse_selector_text(text);
  if (const auto* problem = std::get_if<std::string>(&parsed)) {
    if (problem->empty()) std::abort();  // a refusal always says why
    return 0;
  }
  const auto& selector = std::get<cygnet::config::SelectorText>(parsed);
  if (selector.prefix.length > selector.prefix.address.bit_length()) std::abort();
  if (selector.ports.first > selector.ports.last) std::abort();
  const bool has_ports = selector.protocol == 6 || selector.protocol == 17 || selector.protocol == 132;
  if (!selector.ports.is_any() && !has_ports) std::abort();
  return 0;
}
