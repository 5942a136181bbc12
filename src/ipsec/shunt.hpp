// Shunts: the configured BYPASS ("pass") and DISCARD ("drop") policies of RFC 4301 §4.4.1, the
// policy agent's other two actions next to the tunnels' PROTECT. Every shunt policy sits in the
// SPD at kShuntPolicyPriority, before every CHILD SA (90) and trap (100) policy, so a shunt
// decides its traffic even when a tunnel's selectors are wider (a LAN kept local while a
// 0.0.0.0/0 tunnel is up) and a trap never fires for shunted traffic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ipsec/selector.hpp"
#include "ipsec/spd.hpp"

namespace cygnet::ipsec {

inline constexpr std::uint32_t kShuntPolicyPriority = 10;

enum class ShuntType : std::uint8_t { Pass, Drop };
const char* shunt_type_name(ShuntType type);  // "pass", "drop"
PolicyAction policy_action_of(ShuntType type);

// One `[shunts.NAME]` table: its selectors are the pairs of local_ts x remote_ts of one family.
struct ShuntSettings {
  std::string name;
  ShuntType type = ShuntType::Pass;
  std::vector<Selector> selectors;
  friend bool operator==(const ShuntSettings&, const ShuntSettings&) = default;
};

// Some packet matches both selectors (addresses, protocol and ports all intersect).
bool selectors_intersect(const Selector& a, const Selector& b);
// Every packet `inner` matches, `outer` matches too.
bool selector_contains(const Selector& outer, const Selector& inner);
// They intersect but neither contains the other: which traffic goes where depends on the policy
// order alone (worth a warning; a shunt narrower or wider than a tunnel is the usual, clear case).
bool selectors_overlap_ambiguously(const Selector& a, const Selector& b);

}  // namespace cygnet::ipsec
