// Shunts that cut across a tunnel's selectors (config/shunt_config.hpp).
#include "config/shunt_config.hpp"

namespace cygnet::config {

namespace {

// A child's configured selectors: local_ts x remote_ts of one family (none when a side is empty:
// the outer addresses are not known as ranges here).
std::vector<ipsec::Selector> child_selectors(const ike::ChildSettings& child) {
  std::vector<ipsec::Selector> out;
  for (const wire::IpPrefix& local : child.local_ts) {
    for (const wire::IpPrefix& remote : child.remote_ts) {
      if (local.address.family() != remote.address.family()) continue;
      ipsec::Selector s;
      s.local = ipsec::AddressRange::from_prefix(local);
      s.remote = ipsec::AddressRange::from_prefix(remote);
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> shunt_overlap_warnings(const Config& config) {
  std::vector<std::string> lines;
  for (const ipsec::ShuntSettings& shunt : config.shunts) {
    for (const ike::ConnectionSettings& connection : config.connections) {
      for (const ike::ChildSettings& child : connection.children) {
        for (const ipsec::Selector& theirs : child_selectors(child)) {
          for (const ipsec::Selector& ours : shunt.selectors) {
            if (!ipsec::selectors_overlap_ambiguously(ours, theirs)) continue;
            lines.push_back("warning: shunt '" + shunt.name + "': " + ours.to_string() +
                            " partly overlaps child '" + child.name + "' of connection '" + connection.name +
                            "' (" + theirs.to_string() + "), neither contains the other: the shunt's " +
                            ipsec::shunt_type_name(shunt.type) +
                            " takes the overlapping traffic, the tunnel the rest");
          }
        }
      }
    }
  }
  return lines;
}

}  // namespace cygnet::config
