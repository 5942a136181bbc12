#include "daemon/client_addresses.hpp"

#include <algorithm>

namespace cygnet::daemon {

namespace {

bool is_ipv6_link_local(const wire::IpAddress& address) {
  if (address.is_v4()) return false;
  const ByteView b = address.bytes();
  return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;  // fe80::/10
}

bool contains(const std::vector<wire::IpAddress>& list, const wire::IpAddress& address) {
  return std::find(list.begin(), list.end(), address) != list.end();
}

}  // namespace

void ClientAssignments::assign(const ike::VirtualIpsAssigned& assigned) {
  by_connection_[assigned.connection] =
      ClientAssignment{assigned.ike_sa, assigned.addresses, assigned.dns, assigned.dns_domains};
}

bool ClientAssignments::release(const ike::VirtualIpsReleased& released) {
  auto it = by_connection_.find(released.connection);
  if (it == by_connection_.end() || released.ike_sa < it->second.ike_sa) return false;
  by_connection_.erase(it);
  return true;
}

bool ClientAssignments::forget_connection(const std::string& connection) {
  return by_connection_.erase(connection) > 0;
}

const ClientAssignment* ClientAssignments::find(const std::string& connection) const {
  auto it = by_connection_.find(connection);
  return it == by_connection_.end() ? nullptr : &it->second;
}

std::vector<wire::IpAddress> ClientAssignments::addresses() const {
  std::vector<wire::IpAddress> out;
  for (const auto& [name, assignment] : by_connection_)
    for (const wire::IpAddress& a : assignment.addresses)
      if (!contains(out, a)) out.push_back(a);
  return out;
}

AddressChanges plan_address_changes(const std::vector<InterfaceAddress>& host_addresses, int ifindex,
                                    const std::vector<wire::IpAddress>& wanted) {
  AddressChanges changes;
  std::vector<wire::IpAddress> present;  // wanted addresses already there as host addresses
  for (const InterfaceAddress& h : host_addresses) {
    if (h.ifindex != ifindex || is_ipv6_link_local(h.address)) continue;
    const bool host_length = h.prefix_length == h.address.bit_length();
    if (host_length && contains(wanted, h.address)) {
      present.push_back(h.address);
    } else {
      changes.remove.push_back(h);
    }
  }
  for (const wire::IpAddress& a : wanted) {
    if (contains(present, a)) continue;
    present.push_back(a);  // a duplicate in `wanted` is added once
    changes.add.push_back(InterfaceAddress{ifindex, a, static_cast<std::uint8_t>(a.bit_length())});
  }
  return changes;
}

}  // namespace cygnet::daemon
