// leases.json: the round trip, an absent file, garbage refused whole, bad entries skipped, and
// the atomic write leaving no temporary file behind.
#include "daemon/lease_store.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace cygnet::daemon {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cygnet-leases-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

wire::IpAddress ip(std::string_view s) {
  return *wire::IpAddress::parse(s);
}

TEST(LeaseStore, RoundTripAsOffline) {
  TempDir dir;
  const auto file = dir.path / "state" / kLeaseFileName;
  const std::vector<ike::Lease> leases{{"v4", ip("198.51.100.129"), "alice@example.com", true},
                                       {"v6", ip("2001:db8:ffff::1"), "CN=bob, O=Example", false}};
  ASSERT_FALSE(write_leases(file, leases));
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  std::string error;
  const auto back = read_leases(file, error);
  EXPECT_TRUE(error.empty()) << error;
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0], (ike::Lease{"v4", ip("198.51.100.129"), "alice@example.com", false}));
  EXPECT_EQ(back[1], leases[1]);
}

TEST(LeaseStore, AbsentFileIsNoLeases) {
  TempDir dir;
  std::string error;
  EXPECT_TRUE(read_leases(dir.path / kLeaseFileName, error).empty());
  EXPECT_TRUE(error.empty());
}

TEST(LeaseStore, GarbageIsRefusedAndBadEntriesSkipped) {
  TempDir dir;
  const auto file = dir.path / kLeaseFileName;
  std::ofstream(file) << "{\"leases\": 3";
  std::string error;
  EXPECT_TRUE(read_leases(file, error).empty());
  EXPECT_NE(error.find("not a lease file"), std::string::npos);

  std::ofstream(file, std::ios::trunc)
      << R"({"leases": [{"pool": "v4", "address": "198.51.100.1", "identity": "a"},
                        {"pool": "v4", "address": "not-an-ip", "identity": "b"}, 7]})";
  error.clear();
  std::size_t skipped = 0;
  const auto leases = read_leases(file, error, &skipped);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(leases.size(), 1u);
  EXPECT_EQ(skipped, 2u);
}

TEST(LeaseStore, UnwritableDirectoryIsReportedAndOldFileKept) {
  TempDir dir;
  const auto file = dir.path / kLeaseFileName;
  ASSERT_FALSE(write_leases(file, {{"v4", ip("198.51.100.1"), "a", true}}));
  // A directory where the temporary file should go makes the write fail before the rename.
  std::filesystem::create_directory(file.string() + ".tmp");
  EXPECT_TRUE(write_leases(file, {}));
  std::string error;
  EXPECT_EQ(read_leases(file, error).size(), 1u);
}

}  // namespace
}  // namespace cygnet::daemon
