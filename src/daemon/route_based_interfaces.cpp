#include "daemon/route_based_interfaces.hpp"

#include <algorithm>
#include <stdexcept>

namespace cygnet::daemon {

namespace {

std::string address_text(const wire::IpPrefix& a) {
  return a.address.to_string() + "/" + std::to_string(a.length);
}

const ike::ConnectionSettings* settings_of(const std::vector<ike::ConnectionSettings>& all,
                                           const std::string& name) {
  auto it =
      std::find_if(all.begin(), all.end(), [&](const ike::ConnectionSettings& c) { return c.name == name; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace

RouteBasedInterface& RouteBasedInterfaces::open(const ike::ConnectionSettings& settings, int default_mtu) {
  const ike::RouteInterface& wanted = *settings.route_interface;
  if (auto it = by_connection_.find(settings.name); it != by_connection_.end()) {
    if (it->second->settings == wanted) return *it->second;
    by_link_.erase(it->second->link);
    by_connection_.erase(it);  // settings changed: the device goes with its fd, then comes back anew
  }
  // Without offloads: a route-based device carries a routing daemon's and a few hosts' traffic;
  // plain packets keep its path simple.
  auto interface = std::make_unique<RouteBasedInterface>(RouteBasedInterface{
      settings.name,
      wanted,
      TunDevice::open(wanted.name, wanted.mtu.value_or(default_mtu), /*offload=*/false, /*carrier=*/false),
      0,
      false,
      {}});
  // No carrier until a CHILD SA is installed (update_carriers); routes may be added to a link
  // without carrier (the kernel marks them linkdown).
  install(*interface);
  RouteBasedInterface& opened = *interface;
  by_connection_[settings.name] = std::move(interface);
  return opened;
}

void RouteBasedInterfaces::install(RouteBasedInterface& interface) {
  const int ifindex = interface.tun.ifindex();
  for (const wire::IpPrefix& a : interface.settings.addresses) {
    try {
      netlink_.add_address(ifindex, a.address, a.length);
    } catch (const NetlinkError& e) {
      throw std::runtime_error("interface " + interface.settings.name + ": address " + address_text(a) +
                               ": " + e.what());
    }
  }
  for (const wire::IpPrefix& destination : interface.settings.routes) {
    RouteSpec route;
    route.destination = destination;
    route.ifindex = ifindex;
    try {
      netlink_.add_route(route);
    } catch (const NetlinkError& e) {
      throw std::runtime_error("interface " + interface.settings.name + ": route " + destination.to_string() +
                               ": " + e.what());
    }
    interface.routes.push_back(route);
  }
}

std::vector<int> RouteBasedInterfaces::close_unused(const std::vector<ike::ConnectionSettings>& connections) {
  std::vector<int> closed;
  for (auto it = by_connection_.begin(); it != by_connection_.end();) {
    const ike::ConnectionSettings* next = settings_of(connections, it->first);
    if (next && next->route_interface && *next->route_interface == it->second->settings) {
      ++it;
      continue;
    }
    closed.push_back(it->second->tun.fd());
    by_link_.erase(it->second->link);
    it = by_connection_.erase(it);  // routes and addresses go with the device
  }
  return closed;
}

std::vector<int> RouteBasedInterfaces::close_all() {
  return close_unused({});
}

RouteBasedInterface* RouteBasedInterfaces::find(const std::string& connection) {
  auto it = by_connection_.find(connection);
  return it == by_connection_.end() ? nullptr : it->second.get();
}

RouteBasedInterface* RouteBasedInterfaces::by_link(gateway::LinkId link) {
  auto it = by_link_.find(link);
  return it == by_link_.end() ? nullptr : it->second;
}

void RouteBasedInterfaces::set_link(RouteBasedInterface& interface, gateway::LinkId link) {
  by_link_.erase(interface.link);
  interface.link = link;
  if (link != 0) by_link_[link] = &interface;
}

std::vector<std::string> RouteBasedInterfaces::update_carriers(
    const gateway::GatewayCore& core, const std::vector<ike::ConnectionSettings>& connections) {
  std::vector<std::string> changes;
  for (auto& [name, interface] : by_connection_) {
    const ike::ConnectionSettings* settings = settings_of(connections, name);
    const bool has_sa = interface->link != 0 && core.link_has_sa(interface->link);
    // A trap waits for packets from the interface, and a link without carrier gets none.
    const bool trap = interface->link != 0 && settings && settings->start_action == ike::StartAction::Trap;
    const bool carrier = has_sa || trap;
    if (carrier == interface->carrier) continue;
    try {
      interface->tun.set_carrier(carrier);
      interface->carrier = carrier;
      changes.push_back(interface->settings.name + " (" + name + "): carrier " + (carrier ? "up" : "down") +
                        (has_sa ? ", CHILD SA installed"
                         : trap ? ", trap waiting for traffic"
                                : ", no CHILD SA"));
    } catch (const std::system_error& e) {
      changes.push_back(std::string(e.what()));
    }
  }
  return changes;
}

void RouteBasedInterfaces::add_status(nlohmann::json& status) const {
  if (!status.contains("connections")) return;
  for (nlohmann::json& connection : status["connections"]) {
    auto it = by_connection_.find(connection.value("name", std::string()));
    if (it == by_connection_.end()) continue;
    const RouteBasedInterface& i = *it->second;
    nlohmann::json addresses = nlohmann::json::array();
    for (const auto& a : i.settings.addresses) addresses.push_back(address_text(a));
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& r : i.settings.routes) routes.push_back(r.to_string());
    connection["interface"] = {{"name", i.settings.name},
                               {"ifindex", i.tun.ifindex()},
                               {"mtu", i.tun.mtu()},
                               {"addresses", addresses},
                               {"routes", routes},
                               {"carrier", i.carrier},
                               {"state", i.carrier ? "up" : "down"}};
  }
}

}  // namespace cygnet::daemon
