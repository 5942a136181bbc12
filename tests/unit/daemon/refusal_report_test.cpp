// Refused (hostile) IKE requests reach the operator: `stats` JSON keys, and the Prometheus family.
#include <gtest/gtest.h>

#include "daemon/metrics_report.hpp"
#include "daemon/status_json.hpp"

namespace cygnet::daemon {
namespace {

ike::EngineCounters refusing_counters() {
  ike::EngineCounters ike;
  for (int i = 0; i < 7; ++i) ike.refusals.count(ike::RefusalReason::HalfOpenPerSourceCap);
  ike.refusals.count(ike::RefusalReason::RequestBeforeAuth);
  ike.half_open_ike_sas = 20;
  return ike;
}

TEST(RefusalReport, StatsJsonCarriesEveryReason) {
  ipsec::DataPlane data_plane;
  ike::DataPlaneBinding binding(data_plane);
  const std::vector<ike::ConnectionStatus> none;
  const nlohmann::json s = stats_json(none, refusing_counters(), binding, data_plane, DaemonCounters{});
  EXPECT_EQ(s["ike"]["refused_half_open_per_source_cap"], 7);
  EXPECT_EQ(s["ike"]["refused_request_before_auth"], 1);
  EXPECT_EQ(s["ike"]["refused_half_open_global_cap"], 0);
  EXPECT_EQ(s["ike"]["refused_address_change"], 0);
  EXPECT_EQ(s["ike"]["refused_repeat_budget"], 0);
  EXPECT_EQ(s["ike"]["half_open_ike_sas"], 20);
}

TEST(RefusalReport, PrometheusFamilyByReason) {
  ipsec::DataPlane data_plane;
  ike::DataPlaneBinding binding(data_plane);
  const ike::EngineCounters ike = refusing_counters();
  DaemonCounters daemon;
  RetiredTraffic retired;
  ConnectionEventCounts events;
  const std::vector<ike::ConnectionStatus> status;
  const std::string text = metrics_text({status, ike, binding, data_plane, daemon, retired, events, {}, 0});
  EXPECT_NE(text.find("\ncygnet_ike_refusals_total{reason=\"half_open_per_source_cap\"} 7\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\ncygnet_ike_refusals_total{reason=\"repeat_budget\"} 0\n"), std::string::npos);
}

}  // namespace
}  // namespace cygnet::daemon
