// The engine reads no clock: its wall-clock origin is a required input.
#include <gtest/gtest.h>

#include <stdexcept>

#include "ike/engine.hpp"
#include "ike/random_source.hpp"

namespace cygnet::ike {
namespace {

TEST(EngineWallOrigin, AnEngineWithoutAWallClockOriginIsRefused) {
  EXPECT_THROW(Engine(EngineOptions{}, seeded_random(1)), std::invalid_argument);
}

TEST(EngineWallOrigin, AnEngineWithOneStarts) {
  EngineOptions options;
  options.wall_origin = crypto::WallClock{} + std::chrono::seconds(1767225600);
  Engine engine(options, seeded_random(1));
  EXPECT_EQ(engine.counters().ike_sas_established, 0u);
}

}  // namespace
}  // namespace cygnet::ike
