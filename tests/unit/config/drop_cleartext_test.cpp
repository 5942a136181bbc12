// [daemon] drop_cleartext: the cleartext filter switch (on unless turned off, a boolean only).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DropCleartext, OnByDefaultAndCanBeTurnedOff) {
  const LoadResult defaults = parse_config("[daemon]\ntun = \"cygnet0\"\n", "t.toml", {});
  ASSERT_TRUE(defaults.ok()) << defaults.error_text();
  EXPECT_TRUE(defaults.config->daemon.drop_cleartext);

  const LoadResult off = parse_config("[daemon]\ndrop_cleartext = false\n", "t.toml", {});
  ASSERT_TRUE(off.ok()) << off.error_text();
  EXPECT_FALSE(off.config->daemon.drop_cleartext);
}

TEST(DropCleartext, OnlyABooleanIsAccepted) {
  EXPECT_THAT(testing::errors_of("[daemon]\ndrop_cleartext = \"no\"\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:2:"), HasSubstr("drop_cleartext"))));
}

}  // namespace
}  // namespace cygnet::config
