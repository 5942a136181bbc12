#include "cli/leases_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cygnet::cli {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

const json kLeases = json::parse(R"({
  "pools": [
    {"name": "rw4", "first": "198.51.100.129", "last": "198.51.100.254", "size": 126,
     "online": 1, "offline": 1, "free": 124},
    {"name": "rw6", "first": "2001:db8:ffff::1", "last": "2001:db8:ffff::ffff", "size": 65535,
     "online": 0, "offline": 0, "free": 65535}
  ],
  "leases": [
    {"pool": "rw4", "address": "198.51.100.129", "identity": "alice", "state": "online"},
    {"pool": "rw4", "address": "198.51.100.130", "identity": "CN=bob,O=Example", "state": "offline"}
  ]
})");

TEST(LeasesText, EveryPoolWithItsCountsAndLeases) {
  EXPECT_EQ(
      render_leases(kLeases),
      "pool rw4: 198.51.100.129 - 198.51.100.254, 126 addresses: 1 online, 1 offline (kept for their "
      "clients), 124 never used\n"
      "  198.51.100.129  online   alice\n"
      "  198.51.100.130  offline  CN=bob,O=Example\n"
      "pool rw6: 2001:db8:ffff::1 - 2001:db8:ffff::ffff, 65535 addresses: 0 online, 0 offline (kept for "
      "their clients), 65535 never used\n"
      "  no leases\n");
}

TEST(LeasesText, LeasesOfAPoolNotDescribedStillShow) {
  // An older cygnetd sends only "leases".
  const json old = json::parse(R"({"leases": [
    {"pool": "rw4", "address": "198.51.100.129", "identity": "alice", "state": "online"}]})");
  EXPECT_EQ(render_leases(old), "pool rw4:\n  198.51.100.129  online   alice\n");
}

TEST(LeasesText, NothingConfigured) {
  EXPECT_EQ(render_leases(json::parse(R"({"pools": [], "leases": []})")), "no address pools configured\n");
  EXPECT_EQ(render_leases(json::parse("[1, 2]")), "no address pools configured\n");
  EXPECT_THAT(render_leases(json::parse(R"({"pools": [{"name": 7}], "leases": "x"})")),
              HasSubstr("pool 7: ?"));
}

}  // namespace
}  // namespace cygnet::cli
