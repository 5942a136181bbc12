// Netlink against the real kernel, each test in a network namespace of its own: links (up, MTU),
// addresses, routes in small and large tables read back and deleted, policy rules for both
// families, errors that say what was asked, and — the reason the daemon has all this — that a
// "not fwmark 0xc7 lookup 199" rule really sends unmarked traffic through table 199 while marked
// traffic skips it. address_inside() is pure and needs no namespace.
#include "daemon/os/netlink.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "daemon/os/tun_device.hpp"
#include "unit/daemon/os/os_test_support.hpp"

namespace cygnet::daemon {
namespace {

using test::address;
using test::prefix;
using wire::IpAddress;
using wire::IpFamily;

bool has_address(const std::vector<InterfaceAddress>& list, int ifindex, const IpAddress& a,
                 std::uint8_t prefix_length) {
  return std::any_of(list.begin(), list.end(), [&](const InterfaceAddress& entry) {
    return entry.ifindex == ifindex && entry.address == a && entry.prefix_length == prefix_length;
  });
}

template <typename T>
std::size_t count_of(const std::vector<T>& list, const T& wanted) {
  return static_cast<std::size_t>(std::count(list.begin(), list.end(), wanted));
}

// Expects `action` to throw NetlinkError with `errno_value` and a message containing `text`.
template <typename Action>
void expect_netlink_error(Action action, int errno_value, const std::string& text) {
  try {
    action();
    ADD_FAILURE() << "no NetlinkError; expected one containing \"" << text << "\"";
  } catch (const NetlinkError& error) {
    EXPECT_EQ(error.error_number(), errno_value) << error.what();
    EXPECT_NE(std::string(error.what()).find(text), std::string::npos) << error.what();
  }
}

// ---- address_inside (no kernel involved) ----

TEST(AddressInside, FindsTheFirstAddressInThePrefix) {
  const std::vector<InterfaceAddress> list = {
      {1, address("127.0.0.1"), 8},  {2, address("198.51.100.7"), 24},  {3, address("192.0.2.1"), 24},
      {3, address("192.0.2.2"), 24}, {3, address("2001:db8:1::1"), 64},
  };
  EXPECT_EQ(address_inside(list, prefix("192.0.2.0/24")), address("192.0.2.1"));
  EXPECT_EQ(address_inside(list, prefix("192.0.2.2/32")), address("192.0.2.2"));
  EXPECT_EQ(address_inside(list, prefix("2001:db8::/32")), address("2001:db8:1::1"));
  EXPECT_EQ(address_inside(list, prefix("203.0.113.0/24")), std::nullopt);
  EXPECT_EQ(address_inside({}, prefix("192.0.2.0/24")), std::nullopt);
}

TEST(AddressInside, NeverPicksLoopbackOrLinkLocal) {
  const std::vector<InterfaceAddress> list = {
      {1, address("127.0.0.1"), 8},    {1, address("::1"), 128},         {2, address("fe80::1"), 64},
      {2, address("169.254.1.1"), 16}, {3, address("198.51.100.7"), 24},
  };
  // An any-prefix local selector: the loopback address is listed first but is no source for a
  // tunnel.
  EXPECT_EQ(address_inside(list, prefix("0.0.0.0/0")), address("198.51.100.7"));
  EXPECT_EQ(address_inside(list, prefix("::/0")), std::nullopt);
  EXPECT_EQ(address_inside(list, prefix("127.0.0.0/8")), std::nullopt);
}

TEST(NetlinkError, CarriesTheErrno) {
  const NetlinkError error("adding route 203.0.113.0/24 dev #5 table 199: File exists", EEXIST);
  EXPECT_EQ(error.error_number(), EEXIST);
  EXPECT_STREQ(error.what(), "adding route 203.0.113.0/24 dev #5 table 199: File exists");
}

// ---- links and addresses ----

TEST(Netlink, BringsLoopbackUpWithItsAddresses) {
  CYGNET_REQUIRE_FRESH_NETNS();  // brings lo up through Netlink::set_link_up
  Netlink netlink;
  const int lo = netlink.ifindex_of("lo");
  ASSERT_GT(lo, 0);
  EXPECT_TRUE(test::interface_is_up("lo"));
  const auto list = netlink.addresses();
  EXPECT_TRUE(has_address(list, lo, address("127.0.0.1"), 8));
  EXPECT_TRUE(has_address(list, lo, address("::1"), 128));
}

TEST(Netlink, IfindexOfAnUnknownInterfaceIsZero) {
  CYGNET_REQUIRE_FRESH_NETNS();
  Netlink netlink;
  EXPECT_EQ(netlink.ifindex_of("cyg-missing"), 0);
  EXPECT_EQ(netlink.ifindex_of(""), 0);
  EXPECT_EQ(netlink.ifindex_of("a-name-far-too-long-for-linux"), 0);
}

TEST(Netlink, SetsLinkUpAndMtu) {
  CYGNET_REQUIRE_FRESH_NETNS();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  Netlink netlink;
  netlink.set_link_mtu(tun.ifindex(), 1280);
  EXPECT_EQ(test::interface_mtu("cyg-test0"), 1280);
  netlink.set_link_up(tun.ifindex());  // already up: still fine
  EXPECT_TRUE(test::interface_is_up("cyg-test0"));

  expect_netlink_error([&] { netlink.set_link_mtu(9999, 1400); }, ENODEV,
                       "setting MTU 1400 on link #9999: No such device");
  expect_netlink_error([&] { netlink.set_link_up(9999); }, ENODEV, "setting link #9999 up: No such device");
  expect_netlink_error([&] { netlink.set_link_mtu(tun.ifindex(), 20); }, EINVAL, "setting MTU 20 on link #");
}

TEST(Netlink, AddsAddressesOnceAndListsThem) {
  CYGNET_REQUIRE_FRESH_NETNS();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  Netlink netlink;
  netlink.add_address(tun.ifindex(), address("192.0.2.1"), 24);
  netlink.add_address(tun.ifindex(), address("192.0.2.1"), 24);  // again: replaced, not an error
  netlink.add_address(tun.ifindex(), address("2001:db8:1::1"), 64);
  const auto list = netlink.addresses();
  EXPECT_TRUE(has_address(list, tun.ifindex(), address("192.0.2.1"), 24));
  EXPECT_TRUE(has_address(list, tun.ifindex(), address("2001:db8:1::1"), 64));
  EXPECT_EQ(std::count_if(list.begin(), list.end(),
                          [](const InterfaceAddress& e) { return e.address == address("192.0.2.1"); }),
            1);
  EXPECT_EQ(address_inside(list, prefix("192.0.2.0/24")), address("192.0.2.1"));

  expect_netlink_error([&] { netlink.add_address(9999, address("192.0.2.1"), 24); }, ENODEV,
                       "adding address 192.0.2.1/24 to link #9999: No such device");
  expect_netlink_error([&] { netlink.add_address(tun.ifindex(), address("192.0.2.1"), 33); }, EINVAL,
                       "adding address 192.0.2.1/33");
}

// ---- routes ----

struct RouteCase {
  const char* name;
  const char* tun_address;
  std::uint8_t tun_prefix_length;
  const char* destination;
  std::uint32_t table;
};
void PrintTo(const RouteCase& c, std::ostream* out) {
  *out << c.name;
}

class NetlinkRoutes : public ::testing::TestWithParam<RouteCase> {};

TEST_P(NetlinkRoutes, AddReadBackReplaceDelete) {
  CYGNET_REQUIRE_FRESH_NETNS();
  const RouteCase& c = GetParam();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  Netlink netlink;
  const IpAddress source = address(c.tun_address);
  netlink.add_address(tun.ifindex(), source, c.tun_prefix_length);

  const RouteSpec with_source{prefix(c.destination), tun.ifindex(), source, c.table};
  netlink.add_route(with_source);
  EXPECT_EQ(netlink.routes(c.table), std::vector<RouteSpec>{with_source});
  EXPECT_EQ(count_of(netlink.routes(254), with_source), 0u) << "leaked into the main table";

  // NLM_F_REPLACE: the same destination again replaces the route (here: drops the source).
  RouteSpec without_source = with_source;
  without_source.source.reset();
  netlink.add_route(without_source);
  netlink.add_route(without_source);
  EXPECT_EQ(netlink.routes(c.table), std::vector<RouteSpec>{without_source});

  netlink.delete_route(without_source);
  EXPECT_TRUE(netlink.routes(c.table).empty());
  netlink.delete_route(without_source);  // missing: not an error
}

INSTANTIATE_TEST_SUITE_P(
    FamiliesAndTables, NetlinkRoutes,
    ::testing::Values(RouteCase{"IPv4_table199", "192.0.2.1", 24, "203.0.113.0/24", 199},
                      RouteCase{"IPv4_table100000", "192.0.2.1", 24, "203.0.113.0/24", 100000},
                      RouteCase{"IPv6_table199", "2001:db8:1::1", 64, "2001:db8:2::/64", 199},
                      RouteCase{"IPv6_table100000", "2001:db8:1::1", 64, "2001:db8:2::/64", 100000}),
    [](const auto& instance) { return std::string(instance.param.name); });

TEST(Netlink, ListsRoutesOfBothFamiliesInOneTable) {
  CYGNET_REQUIRE_FRESH_NETNS();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  Netlink netlink;
  const RouteSpec v4{prefix("203.0.113.0/24"), tun.ifindex(), std::nullopt, 199};
  const RouteSpec v6{prefix("2001:db8:2::/64"), tun.ifindex(), std::nullopt, 199};
  const RouteSpec other_table{prefix("198.51.100.0/24"), tun.ifindex(), std::nullopt, 200};
  netlink.add_route(v4);
  netlink.add_route(v6);
  netlink.add_route(other_table);
  const auto routes = netlink.routes(199);
  EXPECT_EQ(routes.size(), 2u);
  EXPECT_EQ(count_of(routes, v4), 1u);
  EXPECT_EQ(count_of(routes, v6), 1u);
  EXPECT_EQ(netlink.routes(200), std::vector<RouteSpec>{other_table});
}

TEST(Netlink, RouteErrorsSayWhatWasAsked) {
  CYGNET_REQUIRE_FRESH_NETNS();
  Netlink netlink;
  expect_netlink_error(
      [&] {
        netlink.add_route({prefix("203.0.113.0/24"), 9999, std::nullopt, 199});
      },
      ENODEV, "adding route 203.0.113.0/24 dev #9999 table 199: No such device");

  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  // A preferred source that is not a local address.
  expect_netlink_error(
      [&] {
        netlink.add_route({prefix("203.0.113.0/24"), tun.ifindex(), address("198.51.100.1"), 199});
      },
      EINVAL,
      "adding route 203.0.113.0/24 dev #" + std::to_string(tun.ifindex()) +
          " src 198.51.100.1 table 199: Invalid argument");
  // Caught before the kernel sees it.
  expect_netlink_error(
      [&] {
        netlink.add_route({prefix("203.0.113.0/24"), tun.ifindex(), address("2001:db8::1"), 199});
      },
      EINVAL, "source and destination families differ");
}

// ---- rules ----

class NetlinkRules : public ::testing::TestWithParam<IpFamily> {};

TEST_P(NetlinkRules, AddOnceReadBackDelete) {
  CYGNET_REQUIRE_FRESH_NETNS();
  Netlink netlink;
  const IpFamily family = GetParam();
  const IpFamily other = family == IpFamily::V4 ? IpFamily::V6 : IpFamily::V4;
  const auto defaults = netlink.rules(family);
  EXPECT_FALSE(defaults.empty()) << "the kernel's local/main/default rules are missing";

  RuleSpec not_marked;  // "100: not fwmark 0xc7 lookup 199"
  not_marked.family = family;
  not_marked.priority = 100;
  not_marked.table = 199;
  not_marked.fwmark = 0xc7;
  not_marked.fwmask = 0xffffffff;
  not_marked.invert = true;
  RuleSpec large_table = not_marked;  // "101: fwmark 0x10/0xf0 lookup 100000"
  large_table.priority = 101;
  large_table.table = 100000;
  large_table.fwmark = 0x10;
  large_table.fwmask = 0xf0;
  large_table.invert = false;

  netlink.add_rule(not_marked);
  netlink.add_rule(not_marked);  // identical: EEXIST ignored, no duplicate
  netlink.add_rule(large_table);
  auto rules = netlink.rules(family);
  EXPECT_EQ(count_of(rules, not_marked), 1u);
  EXPECT_EQ(count_of(rules, large_table), 1u);
  EXPECT_EQ(rules.size(), defaults.size() + 2);
  RuleSpec other_family = not_marked;
  other_family.family = other;
  EXPECT_EQ(count_of(netlink.rules(other), other_family), 0u);

  netlink.delete_rule(not_marked);
  netlink.delete_rule(large_table);
  EXPECT_EQ(netlink.rules(family), defaults);
  netlink.delete_rule(not_marked);  // missing: not an error
}

INSTANTIATE_TEST_SUITE_P(Families, NetlinkRules, ::testing::Values(IpFamily::V4, IpFamily::V6),
                         [](const auto& instance) {
                           return std::string(instance.param == IpFamily::V4 ? "IPv4" : "IPv6");
                         });

// What the daemon builds: a route into its TUN in table 199 and "not fwmark 0xc7 lookup 199".
// The kernel's own route lookup (connect() on a UDP socket picks a source) shows unmarked
// traffic takes the table and marked traffic does not.
struct PolicyCase {
  const char* name;
  const char* tun_address;
  std::uint8_t tun_prefix_length;
  const char* routed_prefix;
  const char* remote;
};
void PrintTo(const PolicyCase& c, std::ostream* out) {
  *out << c.name;
}

class NetlinkPolicyRouting : public ::testing::TestWithParam<PolicyCase> {};

// connect()s a UDP socket with `mark` to `remote`: the source the kernel chose, or errno.
std::variant<IpAddress, int> route_lookup(const IpAddress& remote, std::uint32_t mark) {
  const int family = remote.is_v4() ? AF_INET : AF_INET6;
  const int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  if (mark != 0) setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark);
  sockaddr_storage to{};
  socklen_t length = 0;
  if (remote.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&to);
    in->sin_family = AF_INET;
    in->sin_port = htons(4000);
    std::memcpy(&in->sin_addr, remote.bytes().data(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&to);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(4000);
    std::memcpy(&in6->sin6_addr, remote.bytes().data(), 16);
    length = sizeof(sockaddr_in6);
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), length) != 0) {
    const int error_number = errno;
    close(fd);
    return error_number;
  }
  sockaddr_storage local{};
  socklen_t local_length = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length);
  close(fd);
  if (remote.is_v4()) {
    return IpAddress::v4(ByteView(
        reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr), 4));
  }
  return IpAddress::v6(ByteView(reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr.s6_addr, 16));
}

TEST_P(NetlinkPolicyRouting, UnmarkedTrafficTakesTheTableMarkedTrafficSkipsIt) {
  CYGNET_REQUIRE_FRESH_NETNS();
  const PolicyCase& c = GetParam();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  Netlink netlink;
  const IpAddress source = address(c.tun_address);
  const IpAddress remote = address(c.remote);
  netlink.add_address(tun.ifindex(), source, c.tun_prefix_length);
  const RouteSpec route{prefix(c.routed_prefix), tun.ifindex(), source, 199};
  netlink.add_route(route);

  // Without the rule, table 199 is never consulted and the main table has no route.
  EXPECT_EQ(route_lookup(remote, 0), (std::variant<IpAddress, int>(ENETUNREACH)));

  RuleSpec rule;
  rule.family = source.family();
  rule.priority = 100;
  rule.table = 199;
  rule.fwmark = 0xc7;
  rule.invert = true;
  netlink.add_rule(rule);
  EXPECT_EQ(route_lookup(remote, 0), (std::variant<IpAddress, int>(source)));
  EXPECT_EQ(route_lookup(remote, 0xc7), (std::variant<IpAddress, int>(ENETUNREACH)));

  netlink.delete_rule(rule);
  EXPECT_EQ(route_lookup(remote, 0), (std::variant<IpAddress, int>(ENETUNREACH)));
}

INSTANTIATE_TEST_SUITE_P(
    Families, NetlinkPolicyRouting,
    ::testing::Values(PolicyCase{"IPv4", "192.0.2.1", 24, "203.0.113.0/24", "203.0.113.9"},
                      PolicyCase{"IPv6", "2001:db8:1::1", 64, "2001:db8:2::/64", "2001:db8:2::9"}),
    [](const auto& instance) { return std::string(instance.param.name); });

}  // namespace
}  // namespace cygnet::daemon
