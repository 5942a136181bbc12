// Which routes the daemon wants in its routing table: traffic toward every remote selector of a
// configured or negotiated CHILD SA goes into the TUN device (where the SPD decides: protect,
// acquire or discard). Routes for configured selectors exist from the moment a connection is
// loaded, so nothing meant for the tunnel leaks out in cleartext while no SA is up. Pure: the
// daemon reconciles the kernel's table with desired() through netlink.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/os/netlink.hpp"
#include "ike/connection_settings.hpp"
#include "ipsec/selector.hpp"
#include "ipsec/shunt.hpp"

namespace cygnet::daemon {

// The smallest list of prefixes covering exactly `range` (a prefix gives itself).
std::vector<wire::IpPrefix> range_to_prefixes(const ipsec::AddressRange& range);

class RoutePlanner {
 public:
  // Routes from the connection's configuration: each child's remote_ts, or the peer's addresses
  // when a child has none (transport mode, host-to-net). Replaces an earlier call for `name`.
  // A client connection (`vips`) has them only while it holds virtual addresses: without one the
  // host has no address its CHILD SAs would carry (a trap policy still routes for its acquire).
  void set_connection(const ike::ConnectionSettings& settings);
  void remove_connection(const std::string& name);

  // Routes for negotiated selectors (a %any responder learns them only from its peer). `owner`
  // is any unique key ("child:17", "trap:conn/child").
  void set_selectors(const std::string& owner, const std::vector<ipsec::Selector>& selectors);
  void remove_selectors(const std::string& owner);

  // Client (`vips`): the addresses the gateway assigned to `connection` (empty: none). They become
  // the preferred source of the connection's configured routes, so the host's own traffic leaves
  // from its virtual address and matches the CHILD SA's local selector.
  void set_virtual_ips(const std::string& connection, std::vector<wire::IpAddress> addresses);

  // The configured shunts (replacing earlier ones). Routing carries out what it can:
  //   - a pass shunt's remote ranges get "throw" routes (the lookup falls through to the main
  //     table, the packets leave in the clear without entering the TUN, and decapsulated packets
  //     toward a LAN under a 0.0.0.0/0 tunnel reach it), when that cannot divert a tunnel's
  //     traffic: every tunnel route reaching into the range serves only sources in the shunt's
  //     local_ts;
  //   - a drop shunt's remote ranges go into the TUN, where the SPD drops them, so they never
  //     leave in the clear, when the shunt covers every source.
  // Shunts with a protocol or port, and the cases above that routing cannot decide, are decided
  // by the SPD for whatever a tunnel's route brings into the TUN (a pass packet is then sent in
  // the clear from there).
  void set_shunts(const std::vector<ipsec::ShuntSettings>& shunts);

  // Every wanted route via `ifindex` in `table`, one per destination, with a preferred source
  // inside the matching local selector when the host has such an address. Pass shunts' throw
  // routes come first: a tunnel route for the very same destination gives way to them.
  std::vector<RouteSpec> desired(const std::vector<InterfaceAddress>& host_addresses, int ifindex,
                                 std::uint32_t table) const;

 private:
  struct Wanted {
    wire::IpPrefix destination;
    std::vector<ipsec::AddressRange> local_side;  // where a preferred source may come from
  };
  std::map<std::string, std::vector<Wanted>> by_connection_;
  std::set<std::string> needs_virtual_ip_;  // client connections (`vips`)
  std::map<std::string, std::vector<Wanted>> by_owner_;
  std::map<std::string, std::vector<wire::IpAddress>> virtual_ips_;

  struct PassDestination {
    wire::IpPrefix destination;
    ipsec::AddressRange local;  // the sources the shunt passes
  };
  bool throw_is_safe(const PassDestination& pass) const;

  std::vector<PassDestination> pass_destinations_;  // throw routes
  std::vector<Wanted> drop_destinations_;           // into the TUN
};

}  // namespace cygnet::daemon
