// `cygnetctl leases` JSON: every pool with its size and how many addresses are online, offline
// (kept for a returning client) and never used, and every lease.
#include <gtest/gtest.h>

#include "daemon/status_json.hpp"

namespace cygnet::daemon {
namespace {

using nlohmann::json;

ike::PoolSettings pool(const std::string& name, const std::string& range) {
  ike::PoolSettings p;
  p.name = name;
  EXPECT_FALSE(ike::parse_pool_range(range, p).has_value()) << range;
  return p;
}

ike::Lease lease(const std::string& pool_name, const std::string& address, const std::string& who,
                 bool online) {
  return ike::Lease{pool_name, *wire::IpAddress::parse(address), who, online};
}

TEST(LeasesJson, PoolsCountOnlineOfflineAndNeverUsedAddresses) {
  const std::vector<ike::PoolSettings> pools{pool("rw4", "198.51.100.128/25"),
                                             pool("rw6", "2001:db8:ffff::/112"),
                                             pool("tiny", "192.0.2.10-192.0.2.11")};
  const std::vector<ike::Lease> leases{
      lease("rw4", "198.51.100.129", "alice", true), lease("rw4", "198.51.100.130", "bob", false),
      lease("rw4", "198.51.100.131", "carol", true), lease("tiny", "192.0.2.10", "dave", true),
      lease("tiny", "192.0.2.11", "erin", false)};
  const json j = leases_json(leases, pools);
  ASSERT_EQ(j["pools"].size(), 3u);
  const json& rw4 = j["pools"][0];
  EXPECT_EQ(rw4["name"], "rw4");
  EXPECT_EQ(rw4["first"], "198.51.100.129");  // network and broadcast addresses left out
  EXPECT_EQ(rw4["last"], "198.51.100.254");
  EXPECT_EQ(rw4["size"], 126);
  EXPECT_EQ(rw4["online"], 2);
  EXPECT_EQ(rw4["offline"], 1);
  EXPECT_EQ(rw4["free"], 123);
  const json& rw6 = j["pools"][1];
  EXPECT_EQ(rw6["online"], 0);
  EXPECT_EQ(rw6["free"], rw6["size"]);
  EXPECT_GT(rw6["size"].get<std::uint64_t>(), 65000u);
  const json& tiny = j["pools"][2];
  EXPECT_EQ(tiny["size"], 2);
  EXPECT_EQ(tiny["free"], 0);  // exhausted for new identities once erin's lease is reclaimed too
  ASSERT_EQ(j["leases"].size(), 5u);
  EXPECT_EQ(j["leases"][1]["identity"], "bob");
  EXPECT_EQ(j["leases"][1]["state"], "offline");
  EXPECT_EQ(j["leases"][1]["pool"], "rw4");
}

TEST(LeasesJson, NoPoolsNoLeases) {
  const json j = leases_json({}, {});
  EXPECT_TRUE(j["pools"].is_array());
  EXPECT_TRUE(j["pools"].empty());
  EXPECT_TRUE(j["leases"].empty());
}

}  // namespace
}  // namespace cygnet::daemon
