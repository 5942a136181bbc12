#include "gateway/sa_traffic.hpp"

namespace cygnet::gateway {

SaTraffic traffic_of(ike::ChildSaId id, const ike::DataPlaneBinding& binding, const ipsec::DataPlane& dp) {
  SaTraffic t;
  auto handles = binding.handles_of(id);
  if (!handles) return t;
  if (const auto* in = dp.sad().find(handles->inbound)) {
    t.inbound = in->traffic();
    for (std::size_t r = 0; r < ipsec::kDropReasonCount; ++r)
      t.drops.by_reason[r] += in->drops().by_reason[r];
  }
  if (const auto* out = dp.sad().find(handles->outbound)) {
    t.outbound = out->traffic();
    for (std::size_t r = 0; r < ipsec::kDropReasonCount; ++r)
      t.drops.by_reason[r] += out->drops().by_reason[r];
  }
  return t;
}

}  // namespace cygnet::gateway
