// The addresses a MOBIKE client may move to (address_monitor.hpp): the kernel's list without
// loopback, link-local and the TUN device's (virtual IP) addresses, each once, in order.
#include "daemon/address_monitor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cygnet::daemon {
namespace {

using ::testing::ElementsAre;

wire::IpAddress addr(std::string_view t) {
  return *wire::IpAddress::parse(t);
}

InterfaceAddress on(int ifindex, std::string_view address) {
  InterfaceAddress a;
  a.ifindex = ifindex;
  a.address = addr(address);
  a.prefix_length = a.address.is_v4() ? 24 : 64;
  return a;
}

TEST(UsableLocalAddresses, LeavesOutLoopbackLinkLocalAndTheTunDevice) {
  constexpr int kLoopback = 1, kEthernet = 2, kWifi = 3, kTun = 9;
  const std::vector<InterfaceAddress> kernel{
      on(kLoopback, "127.0.0.1"), on(kLoopback, "::1"),     on(kEthernet, "192.0.2.10"),
      on(kEthernet, "fe80::1"),   on(kWifi, "169.254.7.7"), on(kWifi, "2001:db8::10"),
      on(kTun, "198.51.100.129"), on(kWifi, "192.0.2.10"),  on(kWifi, "203.0.113.20")};
  EXPECT_THAT(usable_local_addresses(kernel, kTun),
              ElementsAre(addr("192.0.2.10"), addr("2001:db8::10"), addr("203.0.113.20")));
}

TEST(UsableLocalAddresses, NoneLeftIsAnEmptyList) {
  EXPECT_TRUE(usable_local_addresses({on(1, "127.0.0.1"), on(5, "198.51.100.129")}, 5).empty());
}

}  // namespace
}  // namespace cygnet::daemon
