// The shunts sections of `cygnetctl status` and `cygnetctl stats` (cli/shunt_text.hpp).
#include "cli/shunt_text.hpp"

#include <gtest/gtest.h>

#include "cli/stats_text.hpp"
#include "cli/status_text.hpp"

namespace cygnet::cli {
namespace {

const nlohmann::json kShunts = nlohmann::json::parse(R"([
  {"name": "lan", "type": "pass", "selectors": ["198.51.100.0/24 === 198.51.100.0/24"],
   "packets_out": 2, "packets_in": 0, "cleartext_drops": 0},
  {"name": "blocked", "type": "drop", "selectors": ["0.0.0.0/0 === 203.0.113.64/26"],
   "packets_out": 8, "packets_in": 1, "cleartext_drops": 5}])");

TEST(ShuntText, StatusListsEachShuntWithItsSelectors) {
  const std::string text = render_shunts_status({{"shunts", kShunts}});
  EXPECT_EQ(text,
            "shunts\n"
            "  lan: pass 198.51.100.0/24 === 198.51.100.0/24\n"
            "  blocked: drop 0.0.0.0/0 === 203.0.113.64/26\n");
  EXPECT_NE(
      render_status({{"connections", nlohmann::json::array()}, {"shunts", kShunts}}).find("  lan: pass"),
      std::string::npos);
}

TEST(ShuntText, StatsCountEachShunt) {
  const std::string text = render_shunts_stats({{"shunts", kShunts}});
  EXPECT_EQ(text,
            "shunts\n"
            "  lan (pass): 2 passed from the TUN, 0 passed from the network\n"
            "  blocked (drop): 8 dropped from the TUN, 1 dropped from the network, 5 cleartext dropped\n");
  EXPECT_NE(render_stats({{"shunts", kShunts}}).find("blocked (drop): 8 dropped"), std::string::npos);
}

TEST(ShuntText, NothingWithoutShuntsAndNoThrowOnNonsense) {
  EXPECT_EQ(render_shunts_status(nlohmann::json::object()), "");
  EXPECT_EQ(render_shunts_stats({{"shunts", 3}}), "");
  EXPECT_EQ(render_shunts_stats({{"shunts", {nlohmann::json::object()}}}),
            "shunts\n  ? (?): 0 dropped from the TUN, 0 dropped from the network, 0 cleartext dropped\n");
}

}  // namespace
}  // namespace cygnet::cli
