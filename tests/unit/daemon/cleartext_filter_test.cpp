// CleartextFilter against the real kernel, in a private network namespace of this test (root only):
// the table appears, holds the planned rules, counts, and is gone after the filter; a stale table
// from a "crashed" run is replaced.
#include "daemon/cleartext_filter.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

namespace cygnet::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Moves this (single-threaded) test process into a fresh network namespace and back.
class CleartextFilterInNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespace, nftables)";
    original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(original_, 0);
    if (unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "cannot unshare the network namespace";
    moved_ = true;
  }
  void TearDown() override {
    if (moved_) {
      EXPECT_EQ(setns(original_, CLONE_NEWNET), 0);
    }
    if (original_ >= 0) close(original_);
  }
  static std::string list_table() { return Nftables().run("list table inet cygnet_unit").output; }
  static bool table_exists() { return Nftables().run("list table inet cygnet_unit").ok; }

  int original_ = -1;
  bool moved_ = false;
};

ike::ConnectionSettings site() {
  ike::ConnectionSettings c;
  c.name = "site-b";
  ike::ChildSettings net;
  net.name = "net";
  net.local_ts = {*wire::IpPrefix::parse("198.51.100.0/24")};
  net.remote_ts = {*wire::IpPrefix::parse("203.0.113.0/24")};
  c.children.push_back(net);
  return c;
}

TEST_F(CleartextFilterInNetns, InstallsTheRulesCountsNothingYetAndRemovesTheTableAtTheEnd) {
  {
    CleartextFilter filter(true, "cygnet0", "cygnet_unit");
    ASSERT_TRUE(table_exists());
    EXPECT_THAT(list_table(), Not(HasSubstr(" drop\n")));
    filter.planner().set_connection(site());
    filter.apply();
    EXPECT_THAT(list_table(), HasSubstr("iifname != \"cygnet0\" ip saddr 203.0.113.0/24 ip daddr "
                                        "198.51.100.0/24 counter name \"drop_0\" drop"));
    const nlohmann::json stats = filter.stats_json();
    EXPECT_EQ(stats["installed"], true);
    EXPECT_EQ(stats["rules"], 1);
    EXPECT_EQ(stats["drops"], (nlohmann::json{{"site-b/net", 0}}));
    EXPECT_EQ(stats["update_errors"], 0);
    filter.planner().remove_connection("site-b");
    filter.apply();
    EXPECT_THAT(list_table(), Not(HasSubstr(" drop\n")));
  }
  EXPECT_FALSE(table_exists());
}

TEST_F(CleartextFilterInNetns, AStaleTableIsReplacedAndOffMeansNoTable) {
  ASSERT_TRUE(Nftables().run("add table inet cygnet_unit\nadd chain inet cygnet_unit stale\n").ok);
  {
    CleartextFilter filter(true, "cygnet0", "cygnet_unit");
    EXPECT_THAT(list_table(), Not(HasSubstr("stale")));
    filter.set_enabled(false);
    EXPECT_FALSE(table_exists());
    EXPECT_EQ(filter.stats_json()["installed"], false);
    filter.set_enabled(true);
    filter.apply();
    EXPECT_TRUE(table_exists());
  }
  ASSERT_TRUE(Nftables().run("add table inet cygnet_unit\n").ok);
  {
    CleartextFilter off(false, "cygnet0", "cygnet_unit");  // a crashed run's table goes even when off
    EXPECT_FALSE(table_exists());
  }
}

TEST_F(CleartextFilterInNetns, ATunNameThatWouldBreakTheRuleIsRefused) {
  EXPECT_THROW(CleartextFilter(true, "tun\"x", "cygnet_unit"), std::runtime_error);
  EXPECT_FALSE(table_exists());
}

}  // namespace
}  // namespace cygnet::daemon
