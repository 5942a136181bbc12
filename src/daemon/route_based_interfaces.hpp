// The TUN devices of route-based connections (`interface = "NAME"`), one per connection: opened
// when the connection is loaded, with its inside addresses, MTU and routes; kept while reloads,
// rekeys and reauthentications leave its settings alone; closed (the kernel removes the device
// with its last fd) when the connection goes or its interface settings change. Its carrier
// follows the connection's CHILD SA, so routing daemons (BIRD, FRR) see the tunnel go down.
//
// What enters such a device is protected with the connection's CHILD SA by the gateway core
// (GatewayCore::on_link_packet, no SPD lookup); what its SAs decapsulate is written back to it.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/os/netlink.hpp"
#include "daemon/os/tun_device.hpp"
#include "gateway/gateway_core.hpp"
#include "ike/connection_settings.hpp"

namespace cygnet::daemon {

struct RouteBasedInterface {
  std::string connection;
  ike::RouteInterface settings;
  TunDevice tun;
  gateway::LinkId link = 0;  // the core's id while the connection is loaded, 0 otherwise
  bool carrier = false;
  std::vector<RouteSpec> routes;  // installed in the main table through `tun`
};

class RouteBasedInterfaces {
 public:
  explicit RouteBasedInterfaces(Netlink& netlink) : netlink_(netlink) {}

  // Makes sure `settings`' interface is open and configured: returns the one already open when
  // its interface settings are the same, else (re)creates it. Throws std::exception with a
  // message naming what failed (device, address, route); nothing is left half-open then.
  RouteBasedInterface& open(const ike::ConnectionSettings& settings, int default_mtu);
  // Closes the interface of every connection not in `connections` or whose interface settings
  // differ there (a reload); returns their fds (already closed), for the caller to stop watching.
  std::vector<int> close_unused(const std::vector<ike::ConnectionSettings>& connections);
  // Closes every interface; returns their fds (already closed: to stop watching).
  std::vector<int> close_all();

  RouteBasedInterface* find(const std::string& connection);
  // Per packet: the interface a decapsulated packet of `link` goes to (nullptr: none any more).
  RouteBasedInterface* by_link(gateway::LinkId link);
  void set_link(RouteBasedInterface& interface, gateway::LinkId link);

  // Carrier up while the core has a CHILD SA for the interface's link (or, for start_action
  // trap, while the link waits for traffic to start one). Returns a line per change, to log.
  std::vector<std::string> update_carriers(const gateway::GatewayCore& core,
                                           const std::vector<ike::ConnectionSettings>& connections);

  // Adds "interface": {name, ifindex, mtu, addresses, routes, state, carrier} to each route-based
  // connection of a status answer (`cygnetctl status`).
  void add_status(nlohmann::json& status) const;

  bool empty() const { return by_connection_.empty(); }

 private:
  void install(RouteBasedInterface& interface);
  Netlink& netlink_;
  std::map<std::string, std::unique_ptr<RouteBasedInterface>> by_connection_;
  std::map<gateway::LinkId, RouteBasedInterface*> by_link_;
};

}  // namespace cygnet::daemon
