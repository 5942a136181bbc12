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
  policy.outbound_sa_entry = nullptr;  // only bind_sa() vouches that an entry belongs to the handle
  const PolicyId id = policy.id;
  const PolicyIndex::Rank rank = rank_of(policy);
  const auto [at, inserted] = policies_.emplace(rank, std::move(policy));
  try {
    ranks_.emplace(id, rank);
    index_.insert(at->second.selector, rank, &at->second);
  } catch (...) {
    ranks_.erase(id);  // list, ranks and index stay in step
    policies_.erase(at);
    throw;
  }
  if (at->second.action == PolicyAction::Discard) ++discard_count_;
  return id;
}

bool Spd::remove(PolicyId id) {
  const auto rank = ranks_.find(id);
  if (rank == ranks_.end()) return false;
  const auto at = policies_.find(rank->second);
  if (at->second.action == PolicyAction::Discard) --discard_count_;
  index_.erase(at->second.selector, rank->second);
  policies_.erase(at);
  ranks_.erase(rank);
  return true;
}

Policy* Spd::find_mutable(PolicyId id) {
  const auto rank = ranks_.find(id);
  return rank == ranks_.end() ? nullptr : &policies_.find(rank->second)->second;
}

const Policy* Spd::find(PolicyId id) const {
  const auto rank = ranks_.find(id);
  return rank == ranks_.end() ? nullptr : &policies_.find(rank->second)->second;
}

bool Spd::bind_sa(PolicyId id, std::optional<SaHandle> sa, std::shared_ptr<const SaEntry> entry) {
  Policy* p = find_mutable(id);
  if (p == nullptr || p->action != PolicyAction::Protect) return false;
  p->outbound_sa = sa;  // replaces any previous SA in one step (make-before-break)
  p->outbound_sa_entry = sa ? std::move(entry) : nullptr;
  return true;
}

const Policy* Spd::lookup_outbound(const wire::IpPacketInfo& packet) const {
  return index_.first_match(packet.source, packet.destination, [&](const Policy& candidate) {
    return candidate.selector.matches_outbound(packet);
  });
}

const Policy* Spd::lookup_inbound(const wire::IpPacketInfo& packet) const {
  return index_.first_match(packet.destination, packet.source, [&](const Policy& candidate) {
    return candidate.selector.matches_inbound(packet);
  });
}

}  // namespace cygnet::ipsec
