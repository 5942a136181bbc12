// The configuration the package installs as /etc/cygnet/cygnet.toml must load as shipped, with
// no connections, so a fresh install starts cleanly before the operator adds a peer.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace cygnet::config {
namespace {

TEST(DefaultConfig, ShippedFileLoadsWithZeroConnections) {
  const LoadResult loaded = load_config_file(CYGNET_SOURCE_DIR "/packaging/cygnet.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.error_text();
  EXPECT_TRUE(loaded.config->connections.empty());
  EXPECT_EQ(loaded.config->daemon.control_socket, "/run/cygnet/cygnetd.sock");
  EXPECT_EQ(loaded.config->daemon.tun, "cygnet0");
}

TEST(DefaultConfig, EmptyFileIsAValidConfigurationWithoutConnections) {
  const LoadResult loaded = parse_config("", "empty.toml", ".");
  ASSERT_TRUE(loaded.ok()) << loaded.error_text();
  EXPECT_TRUE(loaded.config->connections.empty());
}

TEST(DefaultConfig, EmptyConnectionsTableIsValid) {
  const LoadResult loaded = parse_config("[connections]\n", "empty.toml", ".");
  ASSERT_TRUE(loaded.ok()) << loaded.error_text();
  EXPECT_TRUE(loaded.config->connections.empty());
}

}  // namespace
}  // namespace cygnet::config
