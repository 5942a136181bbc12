// [daemon] workers: unset means one per CPU (decided by cygnetd), else 1 to kMaxWorkers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(WorkersSetting, UnsetByDefaultAndKeptWhenGiven) {
  const LoadResult defaults = parse_config("", "t.toml", {});
  ASSERT_TRUE(defaults.ok()) << defaults.error_text();
  EXPECT_FALSE(defaults.config->daemon.workers);
  const LoadResult two = parse_config("[daemon]\nworkers = 2\n", "t.toml", {});
  ASSERT_TRUE(two.ok()) << two.error_text();
  EXPECT_EQ(two.config->daemon.workers, 2u);
  const LoadResult most =
      parse_config("[daemon]\nworkers = " + std::to_string(kMaxWorkers) + "\n", "t.toml", {});
  ASSERT_TRUE(most.ok()) << most.error_text();
  EXPECT_EQ(most.config->daemon.workers, kMaxWorkers);
}

TEST(WorkersSetting, ZeroNegativeTooManyAndTextRefused) {
  for (const std::string& value : {std::string("0"), std::string("-1"), std::to_string(kMaxWorkers + 1)}) {
    EXPECT_THAT(testing::errors_of("[daemon]\nworkers = " + value + "\n"),
                ElementsAre(AllOf(HasSubstr("t.toml:2:"), HasSubstr("'workers' must be 1 to"))))
        << value;
  }
  EXPECT_THAT(testing::errors_of("[daemon]\nworkers = \"2\"\n"),
              ElementsAre(AllOf(HasSubstr("t.toml:2:"), HasSubstr("workers"))));
}

}  // namespace
}  // namespace cygnet::config
