#include "daemon/logging.hpp"

#include <gtest/gtest.h>

namespace cygnet::daemon {
namespace {

TEST(Logging, GlobalAndPerSubsystemLevels) {
  ASSERT_EQ(apply_log_levels("warn,ike=debug,net=trace"), std::nullopt);
  EXPECT_EQ(log(Subsystem::Ike).level(), spdlog::level::debug);
  EXPECT_EQ(log(Subsystem::Net).level(), spdlog::level::trace);
  EXPECT_EQ(log(Subsystem::Daemon).level(), spdlog::level::warn);
  EXPECT_EQ(log(Subsystem::Control).level(), spdlog::level::warn);
  ASSERT_EQ(apply_log_levels("info"), std::nullopt);
  EXPECT_EQ(log(Subsystem::Ike).level(), spdlog::level::info);
}

TEST(Logging, InvalidSpecChangesNothing) {
  ASSERT_EQ(apply_log_levels("error"), std::nullopt);
  auto error = apply_log_levels("debug,ike=loud");
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("loud"), std::string::npos);
  EXPECT_EQ(log(Subsystem::Daemon).level(), spdlog::level::err);  // the valid "debug" was not applied
  error = apply_log_levels("info,kernel=debug");
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("kernel"), std::string::npos);
}

TEST(Logging, SubsystemNames) {
  EXPECT_STREQ(subsystem_name(Subsystem::DataPlane), "dataplane");
  EXPECT_STREQ(subsystem_name(Subsystem::Ike), "ike");
}

}  // namespace
}  // namespace cygnet::daemon
