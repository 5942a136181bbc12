// The /metrics body: per-connection event counts and retired traffic keep counters monotonic.
#include "daemon/metrics_report.hpp"

#include <gtest/gtest.h>

namespace cygnet::daemon {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(MetricsReport, PerConnectionRekeysAndFailuresFromEvents) {
  ConnectionEventCounts events;
  events.count({ike::EventType::IkeSaEstablished, "quiet", 1, std::nullopt, ""});
  events.count({ike::EventType::ChildSaRekeyed, "site-b", 2, 5, ""});
  events.count({ike::EventType::ChildSaRekeyed, "site-b", 2, 6, ""});
  events.count({ike::EventType::IkeSaRekeyed, "site-b", 3, std::nullopt, ""});
  events.count({ike::EventType::AuthenticationFailed, "site-b", std::nullopt, std::nullopt, ""});
  events.count({ike::EventType::MalformedMessage, "", std::nullopt, std::nullopt, ""});  // no connection
  events.count({ike::EventType::ChildSaEstablished, "other", 4, 7, ""});                 // not counted
  ipsec::DataPlane data_plane;
  ike::DataPlaneBinding binding(data_plane);
  ike::EngineCounters ike;
  DaemonCounters daemon;
  RetiredTraffic retired;
  const std::vector<ike::ConnectionStatus> status;
  const std::string text = metrics_text({status, ike, binding, data_plane, daemon, retired, events, {}, 1});
  EXPECT_TRUE(has_line(text, R"(cygnet_connection_rekeys_total{connection="site-b",sa="child"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(cygnet_connection_rekeys_total{connection="site-b",sa="ike"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(cygnet_connection_failures_total{connection="site-b",reason="authentication_failed"} 1)"));
  EXPECT_TRUE(has_line(text, R"(cygnet_connection_failures_total{connection="quiet",reason="timeout"} 0)"));
  EXPECT_EQ(text.find("connection=\"other\""), std::string::npos);
  EXPECT_EQ(text.find("connection=\"\""), std::string::npos);
  EXPECT_TRUE(has_line(text, "cygnet_metrics_scrapes_total 1"));
  EXPECT_TRUE(has_line(text, R"(cygnet_ike_handshake_duration_seconds_bucket{le="+Inf"} 0)"));
}

TEST(MetricsReport, BatchedSocketCallsAndUdpOffloads) {
  ipsec::DataPlane data_plane;
  ike::DataPlaneBinding binding(data_plane);
  ike::EngineCounters ike;
  DaemonCounters daemon;
  daemon.sockets.receive_calls = 3;
  daemon.sockets.send_calls = 7;
  daemon.sockets.gso_datagrams = 640;
  daemon.sockets.gro_datagrams = 128;
  RetiredTraffic retired;
  ConnectionEventCounts events;
  const std::vector<ike::ConnectionStatus> status;
  const std::string text = metrics_text({status, ike, binding, data_plane, daemon, retired, events, {}, 0});
  EXPECT_TRUE(has_line(text, R"(cygnet_socket_calls_total{direction="receive"} 3)")) << text;
  EXPECT_TRUE(has_line(text, R"(cygnet_socket_calls_total{direction="send"} 7)"));
  EXPECT_TRUE(has_line(text, "cygnet_udp_gso_datagrams_total 640"));
  EXPECT_TRUE(has_line(text, "cygnet_udp_gro_datagrams_total 128"));
}

TEST(MetricsReport, ConnectionTrafficIncludesRemovedChildSas) {
  RetiredTraffic retired;
  SaTraffic first;
  first.inbound = {10, 1000};
  first.outbound = {5, 500};
  retired.retire("site-b", first);
  retired.retire("site-b", first);
  ike::ConnectionStatus c;
  c.name = "site-b";
  const std::vector<ike::ConnectionStatus> status{c};
  ipsec::DataPlane data_plane;
  ike::DataPlaneBinding binding(data_plane);
  ike::EngineCounters ike;
  DaemonCounters daemon;
  ConnectionEventCounts events;
  const std::string text = metrics_text({status, ike, binding, data_plane, daemon, retired, events, {}, 0});
  EXPECT_TRUE(has_line(text, R"(cygnet_connection_bytes_total{connection="site-b",direction="in"} 2000)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(cygnet_connection_packets_total{connection="site-b",direction="out"} 10)"));
}

}  // namespace
}  // namespace cygnet::daemon
