#include "config/duration.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cygnet::config {
namespace {

using ::testing::HasSubstr;

Seconds parsed(std::string_view text) {
  const DurationParse result = parse_duration(text);
  EXPECT_TRUE(result.value.has_value()) << text << ": " << result.error;
  return result.value.value_or(Seconds{-1});
}

std::string error_of(std::string_view text) {
  const DurationParse result = parse_duration(text);
  EXPECT_FALSE(result.value.has_value()) << text << " parsed as " << result.value->count();
  return result.error;
}

TEST(Duration, SingleUnits) {
  EXPECT_EQ(parsed("30s"), Seconds{30});
  EXPECT_EQ(parsed("15m"), Seconds{900});
  EXPECT_EQ(parsed("4h"), Seconds{14400});
  EXPECT_EQ(parsed("1d"), Seconds{86400});
}

TEST(Duration, PlainIntegerIsSeconds) {
  EXPECT_EQ(parsed("90"), Seconds{90});
  EXPECT_EQ(parsed("0"), Seconds{0});
  EXPECT_EQ(parsed("0s"), Seconds{0});
}

TEST(Duration, CombinedUnitsInDescendingOrder) {
  EXPECT_EQ(parsed("1h30m"), Seconds{5400});
  EXPECT_EQ(parsed("1d2h3m4s"), Seconds{86400 + 7200 + 180 + 4});
  EXPECT_EQ(parsed("2d30s"), Seconds{172830});
}

TEST(Duration, RefusesMalformedText) {
  EXPECT_THAT(error_of(""), HasSubstr("empty duration"));
  EXPECT_THAT(error_of("5x"), HasSubstr("unknown unit 'x'"));
  EXPECT_THAT(error_of("5H"), HasSubstr("unknown unit 'H'"));
  EXPECT_THAT(error_of("30m1h"), HasSubstr("largest to smallest"));
  EXPECT_THAT(error_of("1h1h"), HasSubstr("largest to smallest"));
  EXPECT_THAT(error_of("1h30"), HasSubstr("missing unit"));
  EXPECT_THAT(error_of("-5s"), HasSubstr("negative"));
  EXPECT_THAT(error_of("1.5h"), HasSubstr("unknown unit '.'"));
  EXPECT_THAT(error_of(" 30s"), HasSubstr("expected a number"));
  EXPECT_THAT(error_of("h"), HasSubstr("expected a number"));
  EXPECT_THAT(error_of("30s "), HasSubstr("expected a number"));
}

TEST(Duration, RefusesMoreThanHundredYearsWithoutOverflow) {
  EXPECT_EQ(parsed("36500d"), kMaxDuration);
  EXPECT_THAT(error_of("36500d1s"), HasSubstr("100 years"));
  EXPECT_THAT(error_of("36501d"), HasSubstr("100 years"));
  EXPECT_THAT(error_of("99999999999999999999999s"), HasSubstr("100 years"));
  EXPECT_THAT(error_of("9223372036854775807d"), HasSubstr("100 years"));
}

TEST(Duration, FromTomlInteger) {
  EXPECT_EQ(duration_from_seconds(3600).value, Seconds{3600});
  EXPECT_THAT(duration_from_seconds(-1).error, HasSubstr("negative"));
  EXPECT_FALSE(duration_from_seconds(kMaxDuration.count() + 1).value.has_value());
}

TEST(Duration, FormatReadsBack) {
  EXPECT_EQ(format_duration(Seconds{0}), "0s");
  EXPECT_EQ(format_duration(Seconds{45}), "45s");
  EXPECT_EQ(format_duration(Seconds{5400}), "1h30m");
  EXPECT_EQ(format_duration(Seconds{86400}), "1d");
  EXPECT_EQ(format_duration(Seconds{90061}), "1d1h1m1s");
  for (const std::int64_t seconds : {1LL, 59LL, 61LL, 3599LL, 86399LL, 1234567LL}) {
    EXPECT_EQ(parsed(format_duration(Seconds{seconds})), Seconds{seconds});
  }
}

}  // namespace
}  // namespace cygnet::config
