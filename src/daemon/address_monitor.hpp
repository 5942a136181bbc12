// MOBIKE client side (RFC 4555): the host's addresses come and go (a laptop changes networks, a
// DHCP lease moves). AddressMonitor listens on rtnetlink's address groups (RTM_NEWADDR,
// RTM_DELADDR) and says when something changed; usable_local_addresses() turns the kernel's list
// into the addresses an IKE SA may move to, which the gateway hands to Engine::on_local_addresses.
#pragma once

#include <vector>

#include "daemon/os/netlink.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::daemon {

class AddressMonitor {
 public:
  AddressMonitor();  // opens and subscribes a NETLINK_ROUTE socket; throws NetlinkError
  ~AddressMonitor();
  AddressMonitor(const AddressMonitor&) = delete;
  AddressMonitor& operator=(const AddressMonitor&) = delete;
  int fd() const { return fd_; }
  // Reads every pending notification (non-blocking). True when an address was added or removed,
  // or notifications were lost (ENOBUFS): the caller then reads the whole list again.
  bool drain();

 private:
  int fd_ = -1;
};

// The addresses an IKE SA may use as its outer address: not loopback, not IPv6 link-local, not
// on the TUN device (`tun_ifindex`, where the virtual IPs live), each once.
std::vector<wire::IpAddress> usable_local_addresses(const std::vector<InterfaceAddress>& addresses,
                                                    int tun_ifindex);

}  // namespace cygnet::daemon
