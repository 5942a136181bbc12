// [daemon] metrics = "ADDRESS:PORT": parsed into a ListenEndpoint, errors at the value's position.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/listen_endpoint.hpp"

namespace cygnet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

std::vector<std::string> errors_of(const std::string& text) {
  std::vector<std::string> out;
  for (const ConfigError& e : parse_config(text, "t.toml", {}).errors) out.push_back(e.to_string());
  return out;
}

TEST(ListenEndpoint, ParsesIpv4AndBracketedIpv6) {
  std::string error;
  const auto v4 = parse_listen_endpoint("127.0.0.1:9750", error);
  ASSERT_TRUE(v4) << error;
  EXPECT_EQ(v4->address, *wire::IpAddress::parse("127.0.0.1"));
  EXPECT_EQ(v4->port, 9750);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:9750");
  const auto v6 = parse_listen_endpoint("[::1]:65535", error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->address, *wire::IpAddress::parse("::1"));
  EXPECT_EQ(v6->port, 65535);
  EXPECT_EQ(v6->to_string(), "[::1]:65535");
}

TEST(ListenEndpoint, RefusesEverythingElseWithAReason) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:97x",
                          "localhost:9750", "::1:9750", "[::1]", "[::1]9750", "[127.0.0.1]:9750", "[::1:9750",
                          ":9750", "127.0.0.1:-1", "127.0.0.1:+80", "[]:80"}) {
    std::string error;
    EXPECT_FALSE(parse_listen_endpoint(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(MetricsSetting, OffByDefaultAndParsedWhenSet) {
  const LoadResult off = parse_config("[daemon]\ntun = \"cyg0\"\n", "t.toml", {});
  ASSERT_TRUE(off.ok()) << off.error_text();
  EXPECT_FALSE(off.config->daemon.metrics.has_value());
  const LoadResult on = parse_config("[daemon]\nmetrics = \"[2001:db8::1]:9750\"\n", "t.toml", {});
  ASSERT_TRUE(on.ok()) << on.error_text();
  ASSERT_TRUE(on.config->daemon.metrics.has_value());
  EXPECT_EQ(on.config->daemon.metrics->to_string(), "[2001:db8::1]:9750");
}

TEST(MetricsSetting, ErrorsCarryFileLineAndColumn) {
  EXPECT_THAT(errors_of("[daemon]\nmetrics = \"127.0.0.1:0\"\n"),
              ElementsAre("t.toml:2:11: 'metrics': port 0 is out of range 1-65535"));
  EXPECT_THAT(errors_of("[daemon]\nmetrics = \"::1:9750\"\n"),
              ElementsAre(StartsWith("t.toml:2:11: 'metrics': an IPv6 address needs brackets")));
  EXPECT_THAT(errors_of("[daemon]\nmetrics = 9750\n"), ElementsAre(StartsWith("t.toml:2:11: 'metrics'")));
}

}  // namespace
}  // namespace cygnet::config
