#include "daemon/refusal_log.hpp"

#include <gtest/gtest.h>

namespace cygnet::daemon {
namespace {

using ike::RefusalReason;

TEST(RefusalLog, OneLinePerReasonPerIntervalWithTheSuppressedCount) {
  RefusalLog log(Seconds(10));
  ike::RefusalCounters c;
  TimePoint t{};
  EXPECT_TRUE(log.lines_due(c, t).empty());  // nothing refused, nothing said

  c.count(RefusalReason::HalfOpenPerSourceCap);
  auto lines = log.lines_due(c, t);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "refused 1 IKE request(s) (half_open_per_source_cap) so far");

  // A flood within the interval: silent, but counted for the next line.
  for (int i = 0; i < 5000; ++i) c.count(RefusalReason::HalfOpenPerSourceCap);
  c.count(RefusalReason::RequestBeforeAuth);  // another reason has its own budget
  lines = log.lines_due(c, t + Seconds(3));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("request_before_auth"), std::string::npos);
  EXPECT_TRUE(log.lines_due(c, t + Seconds(9)).empty());

  lines = log.lines_due(c, t + Seconds(12));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "refused 5000 IKE request(s) (half_open_per_source_cap) in the last 12 s");
  EXPECT_TRUE(log.lines_due(c, t + Seconds(40)).empty());  // no new refusals: quiet
}

}  // namespace
}  // namespace cygnet::daemon
