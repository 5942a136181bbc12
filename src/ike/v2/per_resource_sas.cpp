// RFC 9611 per-resource CHILD SAs. With several data-plane workers, one CHILD SA shared by all
// of them has one sequence counter and one inbound SPI that all workers contend for; instead the
// initiator negotiates the first CHILD SA with SA_RESOURCE_INFO (it becomes the "fallback"), and
// then one more CHILD SA with the same selectors per worker, each with SA_RESOURCE_INFO. Worker i
// sends on its own SA (the fallback when it has none) and decrypts what arrives on it; every SA
// rekeys and expires on its own. A peer that does not answer with SA_RESOURCE_INFO gets one CHILD
// SA as before; a request without it is answered as before.
#include <algorithm>

#include "ike/v2/ikev2_engine.hpp"
#include "ipsec/worker_slot.hpp"

namespace cygnet::ike {

namespace {
// Additional per-resource CHILD SAs of one child on one IKE SA we accept as responder: one per
// worker slot of a data plane is the most any peer of ours could use.
constexpr std::size_t kMaxPerResourceSas = ipsec::kMaxWorkerSlots;
}  // namespace

bool v2::Ikev2Engine::wants_per_resource_sas(const ChildSettings& c) const {
  return c.per_cpu_sas && options.data_plane_workers > 1;
}

v2::Ikev2Engine::ResourceAnswer v2::Ikev2Engine::answer_resource_info(
    const IkeSa& sa, const ChildSettings& c, const std::vector<ikev2::Payload>& in,
    std::optional<ChildSaId> replaces) const {
  ResourceAnswer answer;
  if (!c.per_cpu_sas || !ikev2::find_notify(in, ikev2::NotifyType::SaResourceInfo)) return answer;
  if (replaces) {  // a rekey keeps what the SA was for
    if (auto old = children.find(*replaces); old != children.end()) {
      answer.per_resource = old->second.per_resource;
      answer.resource = old->second.resource;
    }
    return answer;
  }
  // The first per-resource SA of the child on this IKE SA is the fallback; each further one gets
  // the lowest resource number not in use yet.
  std::vector<std::uint32_t> used;
  bool fallback_up = false;
  for (const auto& [id, child] : children) {
    if (child.ike_sa != sa.id || child.child != c.name || !child.per_resource ||
        child.state != ChildSaState::Installed)
      continue;
    if (child.resource) {
      used.push_back(*child.resource);
    } else {
      fallback_up = true;
    }
  }
  answer.per_resource = true;
  if (!fallback_up && used.empty()) return answer;
  if (used.size() >= kMaxPerResourceSas) {
    answer.refused = true;
    return answer;
  }
  std::uint32_t next = 0;
  while (std::find(used.begin(), used.end(), next) != used.end()) ++next;
  answer.resource = next;
  return answer;
}

void v2::Ikev2Engine::request_per_resource_sas(IkeSa& sa, const ChildSa& fallback, TimePoint now) {
  const std::string child = fallback.child;
  for (std::size_t worker = 0; worker < options.data_plane_workers; ++worker)
    queue_request(sa, ChildCreateTask{child, {}, static_cast<std::uint32_t>(worker)}, now);
}

}  // namespace cygnet::ike
