// [daemon] max_half_open and max_half_open_per_source: counts, 0 = no cap, negatives refused.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace cygnet::config {
namespace {

TEST(HalfOpenCapsConfig, ReadWhenSetAndUnsetOtherwise) {
  const LoadResult set =
      parse_config("[daemon]\nmax_half_open = 800\nmax_half_open_per_source = 0\n", "t.toml", {});
  ASSERT_TRUE(set.ok()) << set.error_text();
  EXPECT_EQ(set.config->daemon.max_half_open, 800u);
  EXPECT_EQ(set.config->daemon.max_half_open_per_source, 0u);
  const LoadResult unset = parse_config("[daemon]\n", "t.toml", {});
  ASSERT_TRUE(unset.ok()) << unset.error_text();
  EXPECT_FALSE(unset.config->daemon.max_half_open);
  EXPECT_FALSE(unset.config->daemon.max_half_open_per_source);
}

TEST(HalfOpenCapsConfig, NegativeOrNonIntegerIsAnError) {
  const LoadResult negative = parse_config("[daemon]\nmax_half_open = -1\n", "t.toml", {});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error_text().find("max_half_open"), std::string::npos) << negative.error_text();
  EXPECT_NE(negative.error_text().find("t.toml:2:"), std::string::npos) << negative.error_text();
  const LoadResult text = parse_config("[daemon]\nmax_half_open_per_source = \"20\"\n", "t.toml", {});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error_text().find("max_half_open_per_source"), std::string::npos) << text.error_text();
}

}  // namespace
}  // namespace cygnet::config
