#include "ipsec/spd.hpp"

#include <algorithm>

namespace cygnet::ipsec {

const char* policy_action_name(PolicyAction a) {
  switch (a) {
    case PolicyAction::Protect: return "protect";
    case PolicyAction::Bypass: return "bypass";
    case PolicyAction::Discard: return "discard";
  }
  return "unknown";
}

PolicyId Spd::add(Policy policy) {
  policy.id = next_id_++;
  // After every policy of lower or equal priority: equal priorities keep insertion order.
  auto at = std::upper_bound(policies_.begin(), policies_.end(), policy.priority,
                             [](std::uint32_t priority, const Policy& p) { return priority < p.priority; });
  const PolicyId id = policy.id;
  policies_.insert(at, std::move(policy));
  return id;
}

bool Spd::remove(PolicyId id) {
  auto it = std::find_if(policies_.begin(), policies_.end(),
                         [id](const Policy& p) { return p.id == id; });
  if (it == policies_.end()) return false;
  policies_.erase(it);
  return true;
}

Policy* Spd::find(PolicyId id) {
  auto it = std::find_if(policies_.begin(), policies_.end(),
                         [id](const Policy& p) { return p.id == id; });
  return it == policies_.end() ? nullptr : &*it;
}

const Policy* Spd::find(PolicyId id) const {
  auto it = std::find_if(policies_.begin(), policies_.end(),
                         [id](const Policy& p) { return p.id == id; });
  return it == policies_.end() ? nullptr : &*it;
}

bool Spd::bind_sa(PolicyId id, std::optional<SaHandle> sa) {
  Policy* p = find(id);
  if (p == nullptr || p->action != PolicyAction::Protect) return false;
  p->outbound_sa = sa;  // replaces any previous SA in one step (make-before-break)
  return true;
}

const Policy* Spd::lookup_outbound(const wire::IpPacketInfo& packet) const {
  for (const Policy& p : policies_) {
    if (p.selector.matches_outbound(packet)) return &p;
  }
  return nullptr;
}

const Policy* Spd::lookup_inbound(const wire::IpPacketInfo& packet) const {
  for (const Policy& p : policies_) {
    if (p.selector.matches_inbound(packet)) return &p;
  }
  return nullptr;
}

}  // namespace cygnet::ipsec
