// Route-based connections in the configuration: `interface`, `interface_addrs`, `routes`, `mtu`
// and the whole-family selector rule, with every error located (file:line:column).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/interface_config.hpp"
#include "config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A route-based connection NAME on interface IFNAME, then `extra` connection keys.
std::string route_based(const std::string& name, const std::string& ifname, const std::string& extra = "",
                        const std::string& selectors =
                            "local_ts = [\"0.0.0.0/0\", \"::/0\"]\n"
                            "remote_ts = [\"0.0.0.0/0\", \"::/0\"]\n") {
  return "[connections." + name +
         "]\n"
         "remote_addrs = [\"192.0.2.2\"]\n"
         "auth = \"psk\"\n"
         "psk = \"0123456789abcdef0123456789abcdef\"\n"
         "interface = \"" +
         ifname + "\"\nlocal_addrs = [\"192.0.2.1\"]\n" + extra + "[[connections." + name +
         ".children]]\nname = \"any\"\n" + selectors;
}

TEST(RouteBasedConfig, EveryKeyIsRead) {
  const LoadResult r = parse_config(route_based("cloud", "vti-a",
                                                "interface_addrs = [\"169.254.21.2/30\", \"fd00::2/126\"]\n"
                                                "routes = [\"10.20.0.0/16\"]\n"
                                                "mtu = 1436\n"),
                                    "t.toml", {});
  ASSERT_TRUE(r.ok()) << r.error_text();
  const auto& interface = r.config->connections.at(0).route_interface;
  ASSERT_TRUE(interface.has_value());
  EXPECT_EQ(interface->name, "vti-a");
  ASSERT_EQ(interface->addresses.size(), 2u);
  EXPECT_EQ(interface->addresses[0].address.to_string(), "169.254.21.2");  // host bits kept
  EXPECT_EQ(interface->addresses[0].length, 30);
  EXPECT_EQ(interface->addresses[1].address.to_string(), "fd00::2");
  ASSERT_EQ(interface->routes.size(), 1u);
  EXPECT_EQ(interface->routes[0].to_string(), "10.20.0.0/16");
  EXPECT_EQ(interface->mtu, 1436);
}

TEST(RouteBasedConfig, TheExampleLoads) {
  const LoadResult r = load_config_file(std::string(CYGNET_SOURCE_DIR) + "/examples/route-based-cloud.toml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.config->connections.size(), 3u);
  EXPECT_EQ(r.config->connections[0].route_interface->name, "vti-cloud1");
  EXPECT_EQ(r.config->connections[1].route_interface->name, "vti-cloud2");
  EXPECT_FALSE(r.config->connections[2].route_interface.has_value());  // policy-based alongside
}

TEST(RouteBasedConfig, WholeFamilySelectorsWithoutInterfaceStayPolicyBased) {
  const std::string text =
      "[connections.all]\nlocal_addrs = [\"192.0.2.1\"]\nremote_addrs = [\"192.0.2.2\"]\nauth = \"psk\"\n"
      "psk = \"0123456789abcdef0123456789abcdef\"\n"
      "[[connections.all.children]]\nname = \"any\"\nlocal_ts = [\"0.0.0.0/0\"]\nremote_ts = "
      "[\"0.0.0.0/0\"]\n";
  const LoadResult r = parse_config(text, "t.toml", {});
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_FALSE(r.config->connections.at(0).route_interface.has_value());
}

TEST(RouteBasedConfig, InvalidInterfaceNamesAreRefusedWhereTheyAre) {
  for (const std::string bad : {"", "a-name-too-long-x", "a/b", "a:1", "vti%d", "a b", ".."}) {
    EXPECT_THAT(testing::errors_of(route_based("c", bad)),
                ElementsAre(AllOf(HasSubstr("t.toml:5:13:"), HasSubstr("'interface'"))))
        << bad;
  }
}

TEST(RouteBasedConfig, AnInterfaceBelongsToOneConnection) {
  EXPECT_THAT(
      testing::errors_of(route_based("first", "vti0") + route_based("second", "vti0")),
      ElementsAre(AllOf(HasSubstr("t.toml:15:13:"), HasSubstr("already the interface of another connection"),
                        HasSubstr("line 5"))));
}

TEST(RouteBasedConfig, TheSharedTunDeviceIsNotARouteBasedInterface) {
  EXPECT_THAT(testing::errors_of("[daemon]\ntun = \"cyg0\"\n" + route_based("c", "cyg0")),
              ElementsAre(AllOf(HasSubstr("t.toml:7:13:"), HasSubstr("shared TUN device"))));
}

TEST(RouteBasedConfig, AnExistingDeviceThatIsNotTunIsRefused) {
  // Every network namespace has lo, and it is no TUN device.
  EXPECT_THAT(testing::errors_of(route_based("c", "lo")),
              ElementsAre(AllOf(HasSubstr("t.toml:5:13:"),
                                HasSubstr("exists on this host and is not a TUN device"))));
}

TEST(RouteBasedConfig, NarrowSelectorsSayWhy) {
  const auto errors = testing::errors_of(
      route_based("c", "vti0", "", "local_ts = [\"0.0.0.0/0\"]\nremote_ts = [\"10.0.0.0/8\"]\n"));
  EXPECT_THAT(errors, ElementsAre(AllOf(HasSubstr("t.toml:10:"), HasSubstr("10.0.0.0/8"),
                                        HasSubstr("carries the whole address family"),
                                        HasSubstr("routes into the interface pick its traffic"))));
}

TEST(RouteBasedConfig, SelectorsMustBeWritten) {
  EXPECT_THAT(testing::errors_of(route_based("c", "vti0", "", "remote_ts = [\"0.0.0.0/0\"]\n")),
              ElementsAre(AllOf(HasSubstr("t.toml:7:"), HasSubstr("needs 'local_ts'"))));
}

TEST(RouteBasedConfig, TransportModeIsRefused) {
  EXPECT_THAT(testing::errors_of(route_based("c", "vti0", "",
                                             "mode = \"transport\"\nlocal_ts = [\"0.0.0.0/0\"]\n"
                                             "remote_ts = [\"0.0.0.0/0\"]\n")),
              ElementsAre(AllOf(HasSubstr("t.toml:9:"), HasSubstr("mode = \"tunnel\""))));
}

TEST(RouteBasedConfig, ExactlyOneChild) {
  const std::string text = route_based("c", "vti0") +
                           "[[connections.c.children]]\nname = \"more\"\nlocal_ts = [\"0.0.0.0/0\"]\n"
                           "remote_ts = [\"0.0.0.0/0\"]\n";
  EXPECT_THAT(testing::errors_of(text),
              ElementsAre(AllOf(HasSubstr("t.toml:5:13:"), HasSubstr("exactly one child"))));
}

TEST(RouteBasedConfig, BadAddressesRoutesAndMtu) {
  EXPECT_THAT(testing::errors_of(route_based("c", "vti0", "interface_addrs = [\"169.254.21.2\"]\n")),
              ElementsAre(AllOf(HasSubstr("t.toml:7:"), HasSubstr("prefix length"))));
  EXPECT_THAT(testing::errors_of(route_based("c", "vti0", "interface_addrs = [\"169.254.21.2/33\"]\n")),
              ElementsAre(HasSubstr("t.toml:7:")));
  EXPECT_THAT(testing::errors_of(route_based("c", "vti0", "routes = [\"10.0.0.1/8\"]\n")),
              ElementsAre(AllOf(HasSubstr("t.toml:7:"), HasSubstr("host bits"))));
  EXPECT_THAT(testing::errors_of(route_based("c", "vti0", "mtu = 9001\n")),
              ElementsAre(AllOf(HasSubstr("t.toml:7:7:"), HasSubstr("between 1280 and 9000"))));
}

TEST(RouteBasedConfig, InterfaceKeysNeedInterface) {
  const std::string text =
      "[connections.c]\nremote_addrs = [\"192.0.2.2\"]\nauth = \"psk\"\n"
      "psk = \"0123456789abcdef0123456789abcdef\"\nmtu = 1400\nlocal_addrs = [\"192.0.2.1\"]\n";
  EXPECT_THAT(testing::errors_of(text),
              ElementsAre(AllOf(HasSubstr("t.toml:5:7:"), HasSubstr("set 'interface' too"))));
}

TEST(InterfaceConfig, ExistingInterfaceTellsTunFromOthers) {
  testing::TempDir sysfs;
  sysfs.write("tun7/tun_flags", "0x1001\n");
  sysfs.write("eth0/mtu", "1500\n");
  EXPECT_EQ(existing_interface("tun7", sysfs.path()), ExistingInterface::Tun);
  EXPECT_EQ(existing_interface("eth0", sysfs.path()), ExistingInterface::Other);
  EXPECT_EQ(existing_interface("absent", sysfs.path()), ExistingInterface::None);
}

TEST(InterfaceConfig, InterfaceAddressesKeepTheirHostBits) {
  const auto a = parse_interface_address("169.254.21.1/30");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->address.to_string(), "169.254.21.1");
  EXPECT_EQ(a->length, 30);
  EXPECT_FALSE(parse_interface_address("169.254.21.1/").has_value());
  EXPECT_FALSE(parse_interface_address("169.254.21.1/0").has_value());
  EXPECT_FALSE(parse_interface_address("169.254.21.1/30x").has_value());
  EXPECT_FALSE(parse_interface_address("fe80::1/129").has_value());
  EXPECT_TRUE(interface_name_problem("vti-aws-1").value_or("").empty());
  EXPECT_THAT(interface_name_problem("vti%d").value_or(""), HasSubstr("'%'"));
}

}  // namespace
}  // namespace cygnet::config

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RetransmitSettings, ReadWhenGivenAndBounded) {
  const LoadResult r =
      parse_config("[daemon]\nretransmit_timeout_ms = 500\nretransmit_tries = 2\n", "t.toml", {});
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config->daemon.retransmit_timeout, Milliseconds{500});
  EXPECT_EQ(r.config->daemon.retransmit_tries, 2u);
  const LoadResult defaults = parse_config("", "t.toml", {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults.config->daemon.retransmit_timeout.has_value());
  EXPECT_THAT(testing::errors_of("[daemon]\nretransmit_timeout_ms = 50\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:2:25:"), HasSubstr("between 100 and 60000"))));
  EXPECT_THAT(testing::errors_of("[daemon]\nretransmit_tries = 21\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:2:20:"), HasSubstr("between 0 and 20"))));
}

}  // namespace
}  // namespace cygnet::config
