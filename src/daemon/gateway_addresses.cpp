// MOBIKE client side (RFC 4555): the host's address changes reach the engine, which moves the
// IKE SAs it initiated with MOBIKE (UPDATE_SA_ADDRESSES, task_mobike.cpp).
#include "daemon/address_monitor.hpp"
#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"

namespace cygnet::daemon {

void Gateway::watch_local_addresses() {
  try {
    address_monitor_.emplace();
  } catch (const NetlinkError& e) {
    log(Subsystem::Net)
        .warn("not watching local address changes (MOBIKE clients will not move): {}", e.what());
    return;
  }
  loop_.watch(address_monitor_->fd(), [this] { on_local_addresses_changed(); });
}

void Gateway::on_local_addresses_changed() {
  if (!address_monitor_->drain()) return;
  std::vector<wire::IpAddress> usable;
  try {
    usable = usable_local_addresses(netlink_->addresses(), tun_->ifindex());
  } catch (const NetlinkError& e) {
    log(Subsystem::Net).warn("cannot list local addresses after a change: {}", e.what());
    return;
  }
  std::string listed;
  for (const auto& a : usable) listed += (listed.empty() ? "" : ", ") + a.to_string();
  log(Subsystem::Net).debug("local addresses changed: {}", listed.empty() ? "(none usable)" : listed);
  engine().on_local_addresses(std::move(usable), Clock::now());
  drain(Clock::now());
}

}  // namespace cygnet::daemon
