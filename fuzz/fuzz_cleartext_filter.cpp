// Fuzz target: the cleartext filter's planner (src/daemon/cleartext_filter_plan.*). cygnetd parses
// the JSON libnftables prints for its counters (cleartext_drop_counts) and renders selectors that
// a peer negotiated into nft rules (cleartext_match). Any counter output must give counts or
// nothing, and any selector a rule that names both addresses, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/cleartext_filter_plan.hpp"

namespace {

using namespace cygnet;

// 4 or 16 bytes from `data` at `offset` as an address of `family`.
wire::IpAddress address_at(const std::uint8_t* data, wire::IpFamily family) {
  if (family == wire::IpFamily::V4) {
    return wire::IpAddress::v4((std::uint32_t{data[0]} << 24) | (std::uint32_t{data[1]} << 16) |
                               (std::uint32_t{data[2]} << 8) | data[3]);
  }
  return wire::IpAddress::v6(ByteView(data, 16));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Selector: 1 byte family+protocol, 4 ports (8 bytes), 4 addresses (64 bytes), as a peer's TS may carry.
  constexpr std::size_t kSelectorBytes = 1 + 8 + 64;
  daemon::CleartextFilterPlanner planner;
  if (size >= kSelectorBytes) {
    const wire::IpFamily family = (data[0] & 1) != 0 ? wire::IpFamily::V6 : wire::IpFamily::V4;
    ipsec::Selector s;
    s.protocol = static_cast<std::uint8_t>(data[0] >> 1);
    s.local_ports = {static_cast<std::uint16_t>(data[1] << 8 | data[2]),
                     static_cast<std::uint16_t>(data[3] << 8 | data[4])};
    s.remote_ports = {static_cast<std::uint16_t>(data[5] << 8 | data[6]),
                      static_cast<std::uint16_t>(data[7] << 8 | data[8])};
    s.local = {address_at(data + 9, family), address_at(data + 25, family)};
    s.remote = {address_at(data + 41, family), address_at(data + 57, family)};
    const std::string match = daemon::cleartext_match(s);
    if (match.find(" saddr ") == std::string::npos || match.find(" daddr ") == std::string::npos)
      std::abort();
    planner.set_selectors("child:1", "c", "n", {s});
    const daemon::CleartextFilterPlan plan = planner.plan();
    if (plan.rules.size() != 1) std::abort();
    (void)daemon::cleartext_filter_script("cygnet", "cygnet0", plan);
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  const daemon::CleartextFilterPlan plan = planner.plan();
  for (const auto& [key, packets] : daemon::cleartext_drop_counts(text, plan)) {
    if (key != "c/n") std::abort();  // only counters the plan knows
    (void)packets;
  }
  return 0;
}
