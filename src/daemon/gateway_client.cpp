// Cygnet as a remote-access client: when a connection with `vips` is assigned addresses
// (VirtualIpsAssigned), they go on the TUN device as host addresses, the connection's routes take
// them as preferred source (route_planner.hpp), and the DNS servers and domains go to
// systemd-resolved for the TUN link (resolved_dns.hpp). A release, an unloaded connection or the
// daemon's exit undoes all of it. See docs/remote-access.md, "Cygnet as the client".
#include <string>

#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"

namespace cygnet::daemon {

namespace {

std::string address_text(const InterfaceAddress& a) {
  return a.address.to_string() + "/" + std::to_string(a.prefix_length);
}

}  // namespace

void Gateway::on_virtual_ip_change(const ike::Action& change) {
  log_virtual_ips(change);
  if (const auto* assigned = std::get_if<ike::VirtualIpsAssigned>(&change)) {
    client_assignments_.assign(*assigned);
    routes_.set_virtual_ips(assigned->connection, assigned->addresses);
  } else if (const auto* released = std::get_if<ike::VirtualIpsReleased>(&change)) {
    if (client_assignments_.release(*released)) routes_.set_virtual_ips(released->connection, {});
  }
}

void Gateway::forget_client_connection(const std::string& name) {
  if (!client_assignments_.forget_connection(name)) return;
  routes_.set_virtual_ips(name, {});
  apply_client_setup();
}

void Gateway::apply_client_setup() {
  if (!netlink_ || !tun_) return;
  // Addresses first: a route's preferred source must be a local address when it is added.
  try {
    const AddressChanges changes =
        plan_address_changes(netlink_->addresses(), tun_->ifindex(), client_assignments_.addresses());
    for (const InterfaceAddress& a : changes.remove) {
      netlink_->delete_address(a.ifindex, a.address, a.prefix_length);
      log(Subsystem::Net).info("virtual IP {} removed from {}", address_text(a), tun_->name());
    }
    for (const InterfaceAddress& a : changes.add) {
      netlink_->add_address(a.ifindex, a.address, a.prefix_length);
      log(Subsystem::Net).info("virtual IP {} added to {}", address_text(a), tun_->name());
    }
  } catch (const NetlinkError& e) {
    log(Subsystem::Net).error("virtual IPs on {}: {}", tun_->name(), e.what());
  }
  reconcile_routes();

  std::optional<LinkDns> wanted = plan_link_dns(client_assignments_);
  if (wanted == wanted_dns_) return;  // unchanged: no calls, no repeated log line
  wanted_dns_ = wanted;
  const int ifindex = tun_->ifindex();
  if (wanted) {
    if (auto failure = resolved_.set_link(ifindex, *wanted)) {
      dns_state_ = "not applied: " + *failure;
      log(Subsystem::Net)
          .warn("DNS received but not applied to {}: {} — {}", tun_->name(), describe(*wanted), *failure);
      return;
    }
    applied_dns_ = wanted;
    dns_state_ = "applied through systemd-resolved";
    log(Subsystem::Net).info("DNS for {} set through systemd-resolved: {}", tun_->name(), describe(*wanted));
    return;
  }
  dns_state_ = "none";
  if (!applied_dns_) return;
  applied_dns_.reset();
  if (auto failure = resolved_.revert_link(ifindex))
    log(Subsystem::Net).warn("reverting DNS of {} in systemd-resolved: {}", tun_->name(), *failure);
  else
    log(Subsystem::Net).info("DNS of {} reverted in systemd-resolved", tun_->name());
}

void Gateway::remove_client_leftovers() {
  if (!netlink_ || !tun_) return;
  try {
    // A crashed run's TUN device went with its process (and with it its addresses and routes, and
    // systemd-resolved's settings for the link); a device that survived (made persistent by
    // someone) keeps what it had.
    for (const InterfaceAddress& a :
         plan_address_changes(netlink_->addresses(), tun_->ifindex(), {}).remove) {
      netlink_->delete_address(a.ifindex, a.address, a.prefix_length);
      log(Subsystem::Net).info("leftover address {} removed from {}", address_text(a), tun_->name());
    }
    // Routes of our table into our device are a crashed run's (routes into other devices are not
    // touched: --table may name a table someone else uses too).
    for (const RouteSpec& r : netlink_->routes(options_.routing_table)) {
      if (r.ifindex != tun_->ifindex()) continue;
      netlink_->delete_route(r);
      log(Subsystem::Net).info("leftover route {} removed from table {}", r.destination.to_string(), r.table);
    }
  } catch (const NetlinkError& e) {
    log(Subsystem::Net).warn("removing leftovers of an earlier run: {}", e.what());
  }
}

void Gateway::remove_client_setup() {
  if (client_assignments_.empty() && !applied_dns_) return;
  for (const auto& [connection, assignment] : client_assignments_.by_connection())
    routes_.set_virtual_ips(connection, {});
  client_assignments_.clear();
  apply_client_setup();
}

nlohmann::json Gateway::client_status_json() const {
  nlohmann::json connections = nlohmann::json::array();
  for (const auto& [name, assignment] : client_assignments_.by_connection()) {
    nlohmann::json c{{"connection", name}, {"ike_sa", assignment.ike_sa}};
    c["addresses"] = nlohmann::json::array();
    for (const auto& a : assignment.addresses) c["addresses"].push_back(a.to_string());
    c["dns"] = nlohmann::json::array();
    for (const auto& a : assignment.dns) c["dns"].push_back(a.to_string());
    c["dns_domains"] = assignment.dns_domains;
    connections.push_back(std::move(c));
  }
  nlohmann::json dns{{"state", dns_state_}};
  if (applied_dns_) {
    dns["servers"] = nlohmann::json::array();
    for (const auto& a : applied_dns_->servers) dns["servers"].push_back(a.to_string());
    dns["domains"] = nlohmann::json::array();
    for (const auto& d : applied_dns_->domains)
      dns["domains"].push_back((d.routing_only ? "~" : "") + d.name);
    dns["default_route"] = applied_dns_->default_route;
  }
  return {{"device", tun_ ? tun_->name() : std::string()}, {"connections", connections}, {"dns", dns}};
}

}  // namespace cygnet::daemon
