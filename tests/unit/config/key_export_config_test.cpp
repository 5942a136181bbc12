// [daemon] allow_key_export: off by default, a boolean only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/warnings.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(KeyExportConfig, OffByDefault) {
  const LoadResult result = parse_config("[daemon]\ntun = \"cygnet0\"\n", "t.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  EXPECT_FALSE(result.config->daemon.allow_key_export);
}

TEST(KeyExportConfig, TrueTurnsItOn) {
  const LoadResult result = parse_config("[daemon]\nallow_key_export = true\n", "t.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  EXPECT_TRUE(result.config->daemon.allow_key_export);
}

TEST(KeyExportConfig, TurnedOnIsAWeakChoice) {
  const LoadResult on = parse_config("[daemon]\nallow_key_export = true\n", "t.toml", {});
  ASSERT_TRUE(on.ok()) << on.error_text();
  EXPECT_THAT(weak_choices(*on.config),
              ElementsAre(AllOf(StartsWith("warning: [daemon]: "), HasSubstr("allow_key_export"))));
  const LoadResult off = parse_config("[daemon]\nallow_key_export = false\n", "t.toml", {});
  ASSERT_TRUE(off.ok()) << off.error_text();
  EXPECT_TRUE(weak_choices(*off.config).empty());
}

TEST(KeyExportConfig, NonBooleanIsAnErrorAtTheValue) {
  EXPECT_THAT(testing::errors_of("[daemon]\nallow_key_export = \"yes\"\n"),
              ElementsAre(AllOf(StartsWith("t.toml:2:"), HasSubstr("allow_key_export"))));
}

}  // namespace
}  // namespace cygnet::config
