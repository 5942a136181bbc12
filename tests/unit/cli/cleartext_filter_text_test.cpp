#include "cli/cleartext_filter_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/stats_text.hpp"

namespace cygnet::cli {
namespace {

using ::testing::HasSubstr;

TEST(CleartextFilterText, ShowsDropsPerChild) {
  const auto stats = nlohmann::json::parse(R"({"cleartext_filter": {"enabled": true, "installed": true,
      "table": "inet cygnet", "rules": 2, "drops": {"peer/net": 20, "other/lan": 0}, "total_drops": 20,
      "update_errors": 0}})");
  EXPECT_EQ(render_cleartext_filter(stats),
            "cleartext filter\n"
            "  nftables table inet cygnet, 2 drop rule(s), 20 packet(s) dropped\n"
            "  other/lan: 0 dropped\n"
            "  peer/net: 20 dropped\n");
  EXPECT_THAT(render_stats(stats), HasSubstr("peer/net: 20 dropped"));
}

TEST(CleartextFilterText, SaysWhenOffOrBroken) {
  EXPECT_EQ(render_cleartext_filter(nlohmann::json::parse(R"({"cleartext_filter": {"enabled": false}})")),
            "cleartext filter\n  off ([daemon] drop_cleartext = false)\n");
  const auto broken = nlohmann::json::parse(R"({"cleartext_filter": {"enabled": true, "installed": false,
      "table": "inet cygnet", "rules": 1, "drops": {}, "total_drops": 0, "update_errors": 3}})");
  EXPECT_THAT(render_cleartext_filter(broken), HasSubstr("(NOT installed)"));
  EXPECT_THAT(render_cleartext_filter(broken), HasSubstr("3 update error(s)"));
  EXPECT_EQ(render_cleartext_filter(nlohmann::json::object()), "");  // an older daemon
  EXPECT_EQ(render_cleartext_filter(nlohmann::json::parse(R"({"cleartext_filter": 5})")), "");
}

}  // namespace
}  // namespace cygnet::cli
