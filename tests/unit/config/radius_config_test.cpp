// [radius] (EAP-RADIUS and accounting): defaults, every key, and each mistake located at its
// file:line:column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;
using testing::TempDir;

std::string secret_of(const RadiusSettings& settings) {
  return std::string(reinterpret_cast<const char*>(settings.secret.view().data()), settings.secret.size());
}

TEST(RadiusConfig, DefaultsWithOneServer) {
  const LoadResult result = parse_config(
      "[radius]\n"
      "servers = [{ address = \"192.0.2.10\" }]\n"
      "secret = \"s3cret\"\n",
      "t.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  ASSERT_TRUE(result.config->radius.has_value());
  const RadiusSettings& r = *result.config->radius;
  ASSERT_EQ(r.servers.size(), 1u);
  EXPECT_EQ(r.servers[0].address, "192.0.2.10");
  EXPECT_EQ(r.servers[0].port, 1812);
  EXPECT_EQ(r.servers[0].acct_port, 1813);
  EXPECT_EQ(secret_of(r), "s3cret");
  EXPECT_EQ(r.timeout, Seconds(3));
  EXPECT_EQ(r.retries, 2u);
  EXPECT_EQ(r.nas_identifier, "cygnet");
  EXPECT_FALSE(r.accounting);
  EXPECT_EQ(r.interim_interval, Seconds(0));
}

TEST(RadiusConfig, EveryKeyWithASecretFile) {
  TempDir dir;
  dir.write("radius.secret", "from-a-file\n");
  const LoadResult result = parse_config(
      "[radius]\n"
      "servers = [{ address = \"192.0.2.10\", port = 11812, acct_port = 11813 },\n"
      "           { address = \"2001:db8::10\" }]\n"
      "secret_file = \"radius.secret\"\n"
      "timeout = \"5s\"\n"
      "retries = 4\n"
      "nas_identifier = \"gw-1\"\n"
      "accounting = true\n"
      "interim_interval = \"10m\"\n",
      "t.toml", dir.path());
  ASSERT_TRUE(result.ok()) << result.error_text();
  const RadiusSettings& r = *result.config->radius;
  ASSERT_EQ(r.servers.size(), 2u);
  EXPECT_EQ(r.servers[0].port, 11812);
  EXPECT_EQ(r.servers[0].acct_port, 11813);
  EXPECT_EQ(r.servers[1].address, "2001:db8::10");
  EXPECT_EQ(secret_of(r), "from-a-file");
  EXPECT_EQ(r.timeout, Seconds(5));
  EXPECT_EQ(r.retries, 4u);
  EXPECT_EQ(r.nas_identifier, "gw-1");
  EXPECT_TRUE(r.accounting);
  EXPECT_EQ(r.interim_interval, Seconds(600));
}

TEST(RadiusConfig, NoRadiusTableMeansNoRadius) {
  const LoadResult result = parse_config("[daemon]\n", "t.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  EXPECT_FALSE(result.config->radius.has_value());
}

TEST(RadiusConfig, MistakesAreLocated) {
  EXPECT_THAT(errors_of("[radius]\nsecret = \"x\"\n"),
              ElementsAre("t.toml:1:1: [radius] needs 'servers' (at least one RADIUS server)"));
  EXPECT_THAT(errors_of("[radius]\nservers = []\nsecret = \"x\"\n"),
              ElementsAre("t.toml:2:11: 'servers' must list 1 to 8 RADIUS servers"));
  EXPECT_THAT(errors_of("[radius]\nservers = [{ address = \"radius.example\" }]\nsecret = \"x\"\n"),
              ElementsAre("t.toml:2:24: 'address' must be an IPv4 or IPv6 address, not \"radius.example\""));
  EXPECT_THAT(errors_of("[radius]\nservers = [{ address = \"192.0.2.1\", port = 70000 }]\nsecret = \"x\"\n"),
              ElementsAre("t.toml:2:44: 'port' must be a port from 1 to 65535"));
  EXPECT_THAT(errors_of("[radius]\nservers = [{ address = \"192.0.2.1\", prot = 1 }]\nsecret = \"x\"\n"),
              ElementsAre("t.toml:2:37: unknown key 'prot' in a [radius] server (did you mean 'port'?)"));
  EXPECT_THAT(
      errors_of("[radius]\nservers = [\"192.0.2.1\"]\nsecret = \"x\"\n"),
      ElementsAre("t.toml:2:12: entries of 'servers' must be tables such as { address = \"192.0.2.10\" }, "
                  "not a string"));
  EXPECT_THAT(errors_of("[radius]\nservers = [{ address = \"192.0.2.1\" }]\n"),
              ElementsAre("t.toml:1:1: [radius] needs 'secret' or 'secret_file'"));
  EXPECT_THAT(
      errors_of("[radius]\nservers = [{ address = \"192.0.2.1\" }]\nsecret = \"two words\"\n"),
      ElementsAre("t.toml:3:10: the RADIUS shared secret cannot contain spaces, tabs, line breaks or ','"));
  EXPECT_THAT(errors_of("[radius]\nservers = [{ address = \"192.0.2.1\" }]\nsecret = \"" +
                        std::string(97, 'k') + "\"\n"),
              ElementsAre("t.toml:3:10: the RADIUS shared secret must be at most 96 bytes"));
  EXPECT_THAT(errors_of("[radius]\nservers = [{ address = \"192.0.2.1\" }]\nsecret = \"x\"\nretries = 11\n"),
              ElementsAre("t.toml:4:11: 'retries' must be 0 to 10 (retransmissions per server)"));
  EXPECT_THAT(
      errors_of("[radius]\nservers = [{ address = \"192.0.2.1\" }]\nsecret = \"x\"\ntimeout = \"2m\"\n"),
      ElementsAre("t.toml:4:11: 'timeout' must be at most 60s (it is per try)"));
  EXPECT_THAT(errors_of("[radius]\nservers = [{ address = \"192.0.2.1\" }]\nsecret = \"x\"\n"
                        "interim_interval = \"5m\"\n"),
              ElementsAre("t.toml:4:20: 'interim_interval' needs 'accounting' = true"));
  EXPECT_THAT(
      errors_of("[radius]\nservers = [{ address = \"192.0.2.1\" }]\nsecret = \"x\"\naccounting = true\n"
                "interim_interval = \"30s\"\n"),
      ElementsAre("t.toml:5:20: 'interim_interval' must be 0 (off) or at least 60s (RFC 2869 §5.16)"));
  EXPECT_THAT(errors_of("[radius]\nservers = [{ address = \"192.0.2.1\" }]\nsecret = \"x\"\nsecrets = 1\n"),
              ElementsAre("t.toml:4:1: unknown key 'secrets' in [radius] (did you mean 'secret'?)"));
}

}  // namespace
}  // namespace cygnet::config
