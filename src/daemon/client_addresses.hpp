// Cygnet as a remote-access client (`vips`): what the gateways assigned to each connection
// (virtual addresses, DNS servers, DNS domains) and the address changes that put exactly those
// addresses on the TUN device. Pure: the daemon (gateway_client.cpp) reads the device's addresses
// through netlink, asks plan_address_changes() what to do, and carries it out.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "daemon/os/netlink.hpp"
#include "ike/engine.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::daemon {

// One connection's assignment, from its latest VirtualIpsAssigned.
struct ClientAssignment {
  ike::IkeSaId ike_sa = 0;
  std::vector<wire::IpAddress> addresses;
  std::vector<wire::IpAddress> dns;
  std::vector<std::string> dns_domains;
};

class ClientAssignments {
 public:
  void assign(const ike::VirtualIpsAssigned& assigned);
  // Forgets the connection's assignment unless a newer IKE SA holds it. IKE SA ids only grow, and
  // the engine moves the addresses silently to the new IKE SA of a rekey, so the release comes
  // with an id at or above the one assigned; a release with a lower id is an older IKE SA leaving
  // after a newer one was assigned its addresses (make-before-break): the addresses stay.
  // Returns whether anything changed.
  bool release(const ike::VirtualIpsReleased& released);
  bool forget_connection(const std::string& connection);
  void clear() { by_connection_.clear(); }

  const std::map<std::string, ClientAssignment>& by_connection() const { return by_connection_; }
  const ClientAssignment* find(const std::string& connection) const;
  // Every assigned address, each once, in connection order.
  std::vector<wire::IpAddress> addresses() const;
  bool empty() const { return by_connection_.empty(); }

 private:
  std::map<std::string, ClientAssignment> by_connection_;
};

struct AddressChanges {
  std::vector<InterfaceAddress> add;
  std::vector<InterfaceAddress> remove;
  bool empty() const { return add.empty() && remove.empty(); }
};

// What turns the addresses `host_addresses` lists on link `ifindex` into exactly `wanted`, each as
// a host address (/32, /128: the gateway assigns one address, not a subnet; the routes come from
// the selectors). Addresses of other links are ignored, and IPv6 link-local addresses, which the
// kernel manages, are never removed. A wanted address present with another prefix length is
// replaced.
AddressChanges plan_address_changes(const std::vector<InterfaceAddress>& host_addresses, int ifindex,
                                    const std::vector<wire::IpAddress>& wanted);

}  // namespace cygnet::daemon
