// `cygnetctl stats` names the refusal counters in words.
#include <gtest/gtest.h>

#include "cli/stats_text.hpp"

namespace cygnet::cli {
namespace {

TEST(StatsText, RefusalsAreLabelledInWords) {
  const auto result = nlohmann::json::parse(R"({"ike": {"half_open_ike_sas": 20,
      "refused_half_open_global_cap": 3, "refused_half_open_per_source_cap": 7,
      "refused_request_before_auth": 1, "refused_address_change": 2, "refused_repeat_budget": 95,
      "refused_unverified_evicted": 4, "refused_unknown_exchange": 5}})");
  const std::string text = render_stats(result);
  for (const char* line : {"half-open IKE SAs", "refused: half-open cap", "refused: per-source cap",
                           "refused: before IKE_AUTH", "refused: address change", "refused: repeat budget",
                           "evicted: unverified MM", "refused: unknown exchange"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  EXPECT_EQ(text.find("refused_"), std::string::npos) << text;  // no raw keys
}

}  // namespace
}  // namespace cygnet::cli
