#include "gateway/shunt_table.hpp"

#include <algorithm>

namespace cygnet::gateway {

void ShuntTable::replace(ipsec::Spd& spd, const std::vector<ipsec::ShuntSettings>& shunts) {
  std::vector<ShuntState> next;
  next.reserve(shunts.size());
  std::unordered_map<ipsec::PolicyId, std::size_t> owners;
  // Added before the old ones go, so a reload never leaves a moment without the shunt.
  for (const ipsec::ShuntSettings& settings : shunts) {
    ShuntState state;
    state.settings = settings;
    const auto previous = std::find_if(shunts_.begin(), shunts_.end(), [&](const ShuntState& s) {
      return s.settings.name == settings.name && s.settings.type == settings.type;
    });
    if (previous != shunts_.end()) {
      state.packets_out = previous->packets_out;
      state.packets_in = previous->packets_in;
    }
    for (const ipsec::Selector& selector : settings.selectors) {
      ipsec::Policy policy;
      policy.priority = ipsec::kShuntPolicyPriority;
      policy.action = ipsec::policy_action_of(settings.type);
      policy.selector = selector;
      policy.name = "shunt:" + settings.name;
      const ipsec::PolicyId id = spd.add(std::move(policy));
      state.policies.push_back(id);
      owners.emplace(id, next.size());
    }
    next.push_back(std::move(state));
  }
  for (const ShuntState& old : shunts_) {
    for (const ipsec::PolicyId id : old.policies) spd.remove(id);
  }
  shunts_ = std::move(next);
  owners_ = std::move(owners);
}

std::string ShuntTable::key_of(const ipsec::ShuntSettings& settings) {
  return settings.name + "/" + std::string(ipsec::shunt_type_name(settings.type));
}

std::unordered_map<ipsec::PolicyId, std::string> ShuntTable::policy_keys() const {
  std::unordered_map<ipsec::PolicyId, std::string> keys;
  for (const ShuntState& shunt : shunts_) {
    for (const ipsec::PolicyId id : shunt.policies) keys.emplace(id, key_of(shunt.settings));
  }
  return keys;
}

std::vector<ShuntState> ShuntTable::with_counts(
    const std::unordered_map<std::string, ShuntCounts>& extra) const {
  std::vector<ShuntState> sum = shunts_;
  if (extra.empty()) return sum;
  for (ShuntState& shunt : sum) {
    const auto it = extra.find(key_of(shunt.settings));
    if (it == extra.end()) continue;
    shunt.packets_out += it->second.packets_out;
    shunt.packets_in += it->second.packets_in;
  }
  return sum;
}

ShuntState* ShuntTable::owner_of(ipsec::PolicyId policy) {
  if (owners_.empty()) return nullptr;
  const auto it = owners_.find(policy);
  return it == owners_.end() ? nullptr : &shunts_[it->second];
}

bool ShuntTable::count_outbound(ipsec::PolicyId policy) {
  ShuntState* shunt = owner_of(policy);
  if (shunt == nullptr) return false;
  ++shunt->packets_out;
  return true;
}

bool ShuntTable::count_inbound(ipsec::PolicyId policy) {
  ShuntState* shunt = owner_of(policy);
  if (shunt == nullptr) return false;
  ++shunt->packets_in;
  return true;
}

}  // namespace cygnet::gateway
