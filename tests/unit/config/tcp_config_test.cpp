// TCP encapsulation (RFC 9329) in the configuration: [daemon] tcp_port / tcp_max_connections and
// the connection keys tcp / tcp_port, with their errors located.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string client(const std::string& extra, const std::string& remote = "remote_addrs = [\"192.0.2.2\"]\n") {
  return "[connections.office]\n" + remote +
         "local_id = \"client.example\"\nremote_id = \"gw.example\"\n"
         "auth = \"psk\"\n"
         "psk = \"0123456789abcdef0123456789abcdef\"\n" +
         extra;
}

TEST(TcpConfig, OffByDefault) {
  const LoadResult r = parse_config(client(""), "t.toml", {});
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_FALSE(r.config->daemon.tcp_port.has_value());
  EXPECT_EQ(r.config->daemon.tcp_max_connections, 1000u);
  EXPECT_EQ(r.config->connections.at(0).tcp, ike::TcpEncapsulationMode::Never);
  EXPECT_EQ(r.config->connections.at(0).tcp_port, 4500);
}

TEST(TcpConfig, EveryKeyIsRead) {
  const LoadResult r = parse_config("[daemon]\ntcp_port = 443\ntcp_max_connections = 20\n" +
                                        client("tcp = \"fallback\"\ntcp_port = 8443\n"),
                                    "t.toml", {});
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config->daemon.tcp_port, std::optional<std::uint16_t>(443));
  EXPECT_EQ(r.config->daemon.tcp_max_connections, 20u);
  EXPECT_EQ(r.config->connections.at(0).tcp, ike::TcpEncapsulationMode::Fallback);
  EXPECT_EQ(r.config->connections.at(0).tcp_port, 8443);
  const LoadResult always = parse_config(client("tcp = \"always\"\n"), "t.toml", {});
  ASSERT_TRUE(always.ok()) << always.error_text();
  EXPECT_EQ(always.config->connections.at(0).tcp, ike::TcpEncapsulationMode::Always);
}

TEST(TcpConfig, BadValuesAreLocated) {
  EXPECT_THAT(testing::errors_of("[daemon]\ntcp_port = 0\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:2:12:"), HasSubstr("between 1 and 65535"))));
  EXPECT_THAT(testing::errors_of("[daemon]\ntcp_max_connections = 0\n"),
              ElementsAre(HasSubstr("'tcp_max_connections' must be between 1 and 1000000")));
  EXPECT_THAT(testing::errors_of(client("tcp = \"sometimes\"\n")), ElementsAre(HasSubstr("tcp")));
  EXPECT_THAT(testing::errors_of(client("tcp_port = 70000\n")),
              ElementsAre(HasSubstr("between 1 and 65535")));
}

TEST(TcpConfig, NeedsAPeerAndIkev2) {
  EXPECT_THAT(testing::errors_of(client("tcp = \"always\"\n", "")),
              ElementsAre(HasSubstr("a gateway accepts TCP through [daemon] tcp_port")));
  EXPECT_THAT(testing::errors_of(client("ike_version = 1\ntcp = \"always\"\n")),
              ElementsAre(HasSubstr("IKEv2 only")));
  // "never" is fine anywhere.
  EXPECT_TRUE(parse_config(client("tcp = \"never\"\n", ""), "t.toml", {}).ok());
}

}  // namespace
}  // namespace cygnet::config
