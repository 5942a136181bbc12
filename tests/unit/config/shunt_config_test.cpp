// [shunts.NAME]: pass/drop policies (config/shunt_config.hpp). Every mistake is an error at its
// place in the file; a shunt that cuts across a tunnel's selectors is a warning naming both.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/selector_text.hpp"
#include "config/warnings.hpp"
#include "config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string range(const ipsec::AddressRange& r) {
  return r.to_string();
}

TEST(ShuntConfig, PassAndDropShuntsInFileOrderWithTheirSelectors) {
  const LoadResult result = parse_config(R"(
[shunts.zz-lan]
type = "pass"
local_ts = ["192.0.2.0/24"]
remote_ts = ["192.0.2.0/24", "2001:db8:1::/64"]
local_ts_unused_is_an_error_elsewhere = 0
)",
                                         "t.toml", {});
  EXPECT_FALSE(result.ok());  // the unknown key

  const LoadResult ok = parse_config(R"(
[shunts.zz-lan]
type = "pass"
local_ts = ["192.0.2.0/24", "2001:db8:1::/64"]
remote_ts = ["192.0.2.0/24", "2001:db8:1::/64"]

[shunts.aa-blocked]
type = "drop"
remote_ts = ["203.0.113.0/24[tcp/5000-5100]"]
)",
                                     "t.toml", {});
  ASSERT_TRUE(ok.ok()) << ok.error_text();
  const auto& shunts = ok.config->shunts;
  ASSERT_EQ(shunts.size(), 2u);
  EXPECT_EQ(shunts[0].name, "zz-lan");  // file order, not toml++'s sorted keys
  EXPECT_EQ(shunts[0].type, ipsec::ShuntType::Pass);
  ASSERT_EQ(shunts[0].selectors.size(), 2u);  // one per family: no cross-family pairs
  EXPECT_EQ(range(shunts[0].selectors[0].local), "192.0.2.0/24");
  EXPECT_EQ(range(shunts[0].selectors[1].remote), "2001:db8:1::/64");
  EXPECT_EQ(shunts[1].name, "aa-blocked");
  EXPECT_EQ(shunts[1].type, ipsec::ShuntType::Drop);
  ASSERT_EQ(shunts[1].selectors.size(), 1u);
  const ipsec::Selector& s = shunts[1].selectors[0];
  EXPECT_EQ(range(s.local), "0.0.0.0/0");  // absent side: any address of the family
  EXPECT_EQ(s.protocol, 6);
  EXPECT_EQ(s.remote_ports, (ipsec::PortRange{5000, 5100}));
  EXPECT_TRUE(s.local_ports.is_any());
}

TEST(ShuntConfig, EveryMistakeIsAnErrorAtItsPlace) {
  using testing::errors_of;
  EXPECT_THAT(errors_of("[shunts.a]\nremote_ts = [\"192.0.2.0/24\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:1:1"), HasSubstr("needs 'type'"))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"allow\"\nremote_ts = [\"192.0.2.0/24\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:2:8"), HasSubstr("\"pass\" or \"drop\""))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:1:1"), HasSubstr("'local_ts' or 'remote_ts'"))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nremote_ts = [\"192.0.2.0/33\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:3:14"), HasSubstr("is not an address prefix"))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nremote_ts = [\"192.0.2.7/24\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:3:14"), HasSubstr("host bits"))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nremote_ts = [\"192.0.2.0/24[gre]\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:3:14"), HasSubstr("protocol \"gre\""))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nremote_ts = [\"192.0.2.0/24[icmp/8]\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:3:14"), HasSubstr("only tcp, udp and sctp have ports"))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nremote_ts = [\"192.0.2.0/24[tcp/90-80]\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:3:14"), HasSubstr("low first"))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nremote_ts = [\"192.0.2.0/24[tcp\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:3:14"), HasSubstr("closing ']'"))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nremote_ts = []\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:3:13"), HasSubstr("non-empty array"))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nremote_ts = [42]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:3:14"), HasSubstr("must be strings"))));
  // A family (or protocol) with no partner on the other side could never match.
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nlocal_ts = [\"192.0.2.0/24\"]\n"
                        "remote_ts = [\"2001:db8::/32\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:3:13"), HasSubstr("no entry in \"remote_ts\"")),
                          AllOf(HasSubstr("t.toml:4:14"), HasSubstr("no entry in \"local_ts\""))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nlocal_ts = [\"192.0.2.0/24[tcp]\"]\n"
                        "remote_ts = [\"198.51.100.0/24[udp]\"]\n"),
              Contains(AllOf(HasSubstr("t.toml:3:13"), HasSubstr("same address family and protocol"))));
  EXPECT_THAT(errors_of("[shunts.a]\ntype = \"pass\"\nremote_ts = [\"192.0.2.0/24\"]\nlocal_tss = [\"x\"]\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:4:1"), HasSubstr("unknown key \"local_tss\""))));
  EXPECT_THAT(errors_of("[shunts]\n\"bad name\" = { type = \"pass\", remote_ts = [\"192.0.2.0/24\"] }\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:2:1"), HasSubstr("shunt name \"bad name\""))));
  EXPECT_THAT(errors_of("[shunts]\na = 1\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:2:5"), HasSubstr("must be a table"))));
  EXPECT_THAT(errors_of("shunts = 1\n"), ElementsAre(AllOf(HasSubstr("t.toml:1:10"), HasSubstr("'shunts'"))));
}

TEST(ShuntConfig, SelectorTextAcceptsProtocolNumbersNamesAndSinglePorts) {
  auto parsed = parse_selector_text("2001:db8::/32[udp/53]");
  ASSERT_TRUE(std::holds_alternative<SelectorText>(parsed));
  EXPECT_EQ(std::get<SelectorText>(parsed).protocol, 17);
  EXPECT_EQ(std::get<SelectorText>(parsed).ports, (ipsec::PortRange{53, 53}));
  parsed = parse_selector_text("192.0.2.1[47]");  // a bare address is a host prefix
  ASSERT_TRUE(std::holds_alternative<SelectorText>(parsed));
  EXPECT_EQ(std::get<SelectorText>(parsed).protocol, 47);
  EXPECT_EQ(std::get<SelectorText>(parsed).prefix.length, 32);
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_selector_text("192.0.2.0/24[256]")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_selector_text("192.0.2.0/24[tcp/65536]")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_selector_text("192.0.2.0/24[]")));
}

constexpr const char* kTunnel = R"(
[connections.vpn]
local_addrs = ["192.0.2.1"]
remote_addrs = ["192.0.2.2"]
auth = "psk"
psk = "a-long-enough-example-secret-for-tests"
[[connections.vpn.children]]
name = "net"
local_ts = ["198.51.100.0/24"]
remote_ts = ["203.0.113.0/24"]
esp_proposals = ["aes256gcm16-x25519"]
)";

std::vector<std::string> warnings_with(const std::string& shunts) {
  const LoadResult result = parse_config(std::string(kTunnel) + shunts, "t.toml", {});
  EXPECT_TRUE(result.ok()) << result.error_text();
  if (!result.ok()) return {};
  return weak_choices(*result.config);
}

TEST(ShuntConfig, AmbiguousOverlapWithATunnelIsAWarningNamingBoth) {
  EXPECT_THAT(
      warnings_with("[shunts.cross]\ntype = \"drop\"\nlocal_ts = [\"198.51.100.0/25\"]\n"
                    "remote_ts = [\"203.0.0.0/16\"]\n"),
      ElementsAre(AllOf(HasSubstr("warning: shunt 'cross'"), HasSubstr("child 'net' of connection 'vpn'"),
                        HasSubstr("198.51.100.0/25"), HasSubstr("203.0.113.0/24"))));
  // Narrower, wider or apart: clear, no warning.
  EXPECT_THAT(warnings_with("[shunts.in]\ntype = \"pass\"\nlocal_ts = [\"198.51.100.0/24\"]\n"
                            "remote_ts = [\"203.0.113.64/26\"]\n"),
              IsEmpty());
  EXPECT_THAT(warnings_with("[shunts.all]\ntype = \"drop\"\nremote_ts = [\"203.0.0.0/8\"]\n"), IsEmpty());
  EXPECT_THAT(warnings_with("[shunts.apart]\ntype = \"pass\"\nremote_ts = [\"192.0.2.0/24\"]\n"), IsEmpty());
}

}  // namespace
}  // namespace cygnet::config

namespace cygnet::config {
namespace {

TEST(ShuntConfig, ExampleLoadsWithItsThreeShuntsAndNoWarnings) {
  const LoadResult result =
      load_config_file(std::string(CYGNET_SOURCE_DIR) + "/examples/full-tunnel-shunts.toml");
  ASSERT_TRUE(result.ok()) << result.error_text();
  ASSERT_EQ(result.config->shunts.size(), 3u);
  EXPECT_EQ(result.config->shunts[0].name, "lan");
  EXPECT_EQ(result.config->shunts[1].selectors.at(0).protocol, 6);
  EXPECT_EQ(result.config->shunts[2].type, ipsec::ShuntType::Drop);
  EXPECT_THAT(weak_choices(*result.config), ::testing::IsEmpty());
}

}  // namespace
}  // namespace cygnet::config
