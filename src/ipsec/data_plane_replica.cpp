// Replicas of the data plane for worker threads (docs/architecture.md, "Workers"). A worker runs
// the unchanged DataPlane code on its own replica, so the SPD index, the per-call scratch buffers
// and the global counters are never shared; what is shared are the SecurityAssociation objects,
// whose per-packet state is safe for concurrent use (security_association.hpp).
#include "ipsec/data_plane.hpp"

namespace cygnet::ipsec {

Sad Sad::replica() const {
  Sad copy;
  copy.next_handle_ = next_handle_;
  copy.inbound_ = inbound_;
  copy.by_handle_.reserve(by_handle_.size());
  for (const auto& [handle, entry] : by_handle_) {
    copy.by_handle_.emplace(handle, std::make_shared<SaEntry>(SaEntry{entry->sa}));
  }
  return copy;
}

Spd Spd::replica(const Sad& sad) const {
  Spd copy;
  copy.next_id_ = next_id_;
  for (const auto& [rank, policy] : policies_) {
    const auto [at, inserted] = copy.policies_.emplace(rank, policy);
    Policy& p = at->second;
    p.outbound_sa_entry = p.outbound_sa_entry && p.outbound_sa ? sad.entry(*p.outbound_sa) : nullptr;
    copy.ranks_.emplace(p.id, rank);
    copy.index_.insert(p.selector, rank, &p);
  }
  return copy;
}

std::unique_ptr<DataPlane> DataPlane::replica() const {
  auto copy = std::make_unique<DataPlane>();
  copy->sad_ = sad_.replica();
  copy->spd_ = spd_.replica(copy->sad_);
  copy->path_mtu_ = path_mtu_;
  return copy;
}

}  // namespace cygnet::ipsec
