// `cygnetctl monitor`'s text lines from the daemon's JSON events.
#include "cli/monitor.hpp"

#include <gtest/gtest.h>

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

TEST(MonitorText, IkeEventWithConnectionSaAndDetail) {
  const json e{{"time", "2026-12-07T01:02:03Z"},
               {"type", "ike-sa-established"},
               {"connection", "site-b"},
               {"ike_sa", 1},
               {"child_sa", nullptr},
               {"detail", "192.0.2.1[500] - 192.0.2.2[500]"}};
  EXPECT_EQ(monitor_line_text(e),
            "2026-12-07T01:02:03Z ike-sa-established site-b #1: 192.0.2.1[500] - 192.0.2.2[500]");
}

TEST(MonitorText, ChildEventNamesTheChildWhenKnown) {
  json e{{"time", "2026-12-07T01:02:03Z"},
         {"type", "child-sa-rekeyed"},
         {"connection", "site-b"},
         {"ike_sa", 1},
         {"child_sa", 4},
         {"child", "net"},
         {"detail", "new SPIs"}};
  EXPECT_EQ(monitor_line_text(e), "2026-12-07T01:02:03Z child-sa-rekeyed site-b #1 net #4: new SPIs");
  e.erase("child");
  EXPECT_EQ(monitor_line_text(e), "2026-12-07T01:02:03Z child-sa-rekeyed site-b #1 child #4: new SPIs");
}

TEST(MonitorText, DaemonNoticesAndOddInput) {
  const json stopping{{"time", "2026-12-07T01:02:03Z"},
                      {"type", "daemon-stopping"},
                      {"connection", ""},
                      {"ike_sa", nullptr},
                      {"child_sa", nullptr},
                      {"detail", "cygnetd is exiting"}};
  EXPECT_EQ(monitor_line_text(stopping), "2026-12-07T01:02:03Z daemon-stopping: cygnetd is exiting");
  EXPECT_EQ(monitor_line_text(json::array()), "- ?");
  EXPECT_EQ(monitor_line_text(json{{"type", "error"}, {"ike_sa", "x"}}), "- error");
}

}  // namespace
}  // namespace cygnet::cli
