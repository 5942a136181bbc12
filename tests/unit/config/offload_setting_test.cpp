// [daemon] offload: TUN offloads on unless turned off, a boolean only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(OffloadSetting, OnByDefaultAndOffWhenAsked) {
  const LoadResult defaults = parse_config("", "t.toml", {});
  ASSERT_TRUE(defaults.ok()) << defaults.error_text();
  EXPECT_TRUE(defaults.config->daemon.offload);
  const LoadResult off = parse_config("[daemon]\noffload = false\n", "t.toml", {});
  ASSERT_TRUE(off.ok()) << off.error_text();
  EXPECT_FALSE(off.config->daemon.offload);
}

TEST(OffloadSetting, OnlyABoolean) {
  EXPECT_THAT(testing::errors_of("[daemon]\noffload = \"yes\"\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:2:"), HasSubstr("offload"))));
}

}  // namespace
}  // namespace cygnet::config
