// One CHILD SA's traffic and drops, read from the data plane through the binding.
#pragma once

#include "ike/data_plane_binding.hpp"
#include "ipsec/data_plane.hpp"

namespace cygnet::gateway {

struct SaTraffic {
  ipsec::TrafficCounters inbound;
  ipsec::TrafficCounters outbound;
  ipsec::DropCounters drops;  // both directions
};

// Zeros when the CHILD SA's SAs are not installed.
SaTraffic traffic_of(ike::ChildSaId id, const ike::DataPlaneBinding& binding,
                     const ipsec::DataPlane& data_plane);

}  // namespace cygnet::gateway
