#include "daemon/address_monitor.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace cygnet::daemon {

namespace {

bool loopback_or_link_local(const wire::IpAddress& address) {
  const ByteView b = address.bytes();
  if (address.is_v4()) return b[0] == 127 || (b[0] == 169 && b[1] == 254);
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;  // fe80::/10
  return std::all_of(b.begin(), b.end() - 1, [](std::uint8_t x) { return x == 0; }) && b[15] == 1;
}

}  // namespace

AddressMonitor::AddressMonitor() {
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) throw NetlinkError("opening the rtnetlink address monitor", errno);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) < 0) {
    const int error_number = errno;
    ::close(fd_);
    fd_ = -1;
    throw NetlinkError("subscribing to address changes: " + std::string(std::strerror(error_number)),
                       error_number);
  }
}

AddressMonitor::~AddressMonitor() {
  if (fd_ >= 0) ::close(fd_);
}

bool AddressMonitor::drain() {
  bool changed = false;
  alignas(nlmsghdr) std::array<std::uint8_t, 16384> buffer{};
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped notifications: the list must be read again
        changed = true;
        continue;
      }
      return changed;  // EAGAIN: nothing more
    }
    if (n == 0) return changed;
    int left = static_cast<int>(n);
    // libmnl's walk: NLMSG_NEXT's char* cast trips -Wcast-align under clang.
    for (const auto* h = reinterpret_cast<const nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(h, left);
         h = mnl_nlmsg_next(h, &left)) {
      if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) changed = true;
    }
  }
}

std::vector<wire::IpAddress> usable_local_addresses(const std::vector<InterfaceAddress>& addresses,
                                                    int tun_ifindex) {
  std::vector<wire::IpAddress> out;
  for (const InterfaceAddress& a : addresses) {
    if (a.ifindex == tun_ifindex || loopback_or_link_local(a.address)) continue;
    if (std::find(out.begin(), out.end(), a.address) == out.end()) out.push_back(a.address);
  }
  return out;
}

}  // namespace cygnet::daemon
