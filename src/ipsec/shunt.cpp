#include "ipsec/shunt.hpp"

namespace cygnet::ipsec {

namespace {

bool ranges_intersect(const AddressRange& a, const AddressRange& b) {
  if (a.family() != b.family()) return false;
  return !(a.last < b.first) && !(b.last < a.first);
}

bool range_contains(const AddressRange& outer, const AddressRange& inner) {
  return outer.family() == inner.family() && !(inner.first < outer.first) && !(outer.last < inner.last);
}

bool ports_intersect(const PortRange& a, const PortRange& b) {
  return a.first <= b.last && b.first <= a.last;
}

bool ports_contain(const PortRange& outer, const PortRange& inner) {
  return outer.first <= inner.first && inner.last <= outer.last;
}

}  // namespace

const char* shunt_type_name(ShuntType type) {
  return type == ShuntType::Pass ? "pass" : "drop";
}

PolicyAction policy_action_of(ShuntType type) {
  return type == ShuntType::Pass ? PolicyAction::Bypass : PolicyAction::Discard;
}

bool selectors_intersect(const Selector& a, const Selector& b) {
  if (a.protocol != 0 && b.protocol != 0 && a.protocol != b.protocol) return false;
  return ranges_intersect(a.local, b.local) && ranges_intersect(a.remote, b.remote) &&
         ports_intersect(a.local_ports, b.local_ports) && ports_intersect(a.remote_ports, b.remote_ports);
}

bool selector_contains(const Selector& outer, const Selector& inner) {
  if (outer.protocol != 0 && outer.protocol != inner.protocol) return false;
  return range_contains(outer.local, inner.local) && range_contains(outer.remote, inner.remote) &&
         ports_contain(outer.local_ports, inner.local_ports) &&
         ports_contain(outer.remote_ports, inner.remote_ports);
}

bool selectors_overlap_ambiguously(const Selector& a, const Selector& b) {
  return selectors_intersect(a, b) && !selector_contains(a, b) && !selector_contains(b, a);
}

}  // namespace cygnet::ipsec
