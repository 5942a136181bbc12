// The JSON lines of `cygnetctl monitor`: times in UTC, structured fields where the SA is known.
#include "daemon/monitor_event.hpp"

#include <gtest/gtest.h>

namespace cygnet::daemon {
namespace {

WallTime at(std::int64_t seconds) {
  return WallTime{} + std::chrono::seconds(seconds);
}

TEST(MonitorEvent, TimeIsIso8601Utc) {
  EXPECT_EQ(iso8601_utc(at(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(iso8601_utc(at(1796605323)), "2026-12-07T01:02:03Z");
}

TEST(MonitorEvent, PeerAndSpisComeFromTheStatusWhenTheSaExists) {
  ike::ConnectionStatus c;
  c.name = "site-b";
  ike::IkeSaStatus sa;
  sa.id = 7;
  sa.remote = ike::Endpoint{*wire::IpAddress::parse("192.0.2.2"), 4500};
  ike::ChildSaStatus child;
  child.id = 9;
  child.child = "net";
  child.inbound_spi = 0xc1a2b3c4;
  child.outbound_spi = 0x0000f708;
  sa.children.push_back(child);
  c.ike_sas.push_back(sa);
  const ike::Event e{ike::EventType::ChildSaEstablished, "site-b", 7, 9, "net up"};
  const nlohmann::json j = monitor_event_json(e, at(0), {c});
  EXPECT_EQ(j["type"], "child-sa-established");
  EXPECT_EQ(j["connection"], "site-b");
  EXPECT_EQ(j["ike_sa"], 7);
  EXPECT_EQ(j["child_sa"], 9);
  EXPECT_EQ(j["detail"], "net up");
  EXPECT_EQ(j["peer"], "192.0.2.2[4500]");
  EXPECT_EQ(j["child"], "net");
  EXPECT_EQ(j["spi"]["in"], "c1a2b3c4");
  EXPECT_EQ(j["spi"]["out"], "0000f708");
  EXPECT_FALSE(j.contains("reason"));
}

TEST(MonitorEvent, FailuresCarryTheirReasonAndGoneSasHaveNulls) {
  const ike::Event e{ike::EventType::AuthenticationFailed, "site-b", std::nullopt, std::nullopt,
                     "PSK mismatch"};
  const nlohmann::json j = monitor_event_json(e, at(0), {});
  EXPECT_EQ(j["reason"], "authentication_failed");
  EXPECT_TRUE(j["ike_sa"].is_null());
  EXPECT_TRUE(j["child_sa"].is_null());
  EXPECT_FALSE(j.contains("peer"));
  const nlohmann::json n = monitor_notice_json("daemon-stopping", "bye", at(0));
  EXPECT_EQ(n["type"], "daemon-stopping");
  EXPECT_EQ(n["connection"], "");
}

}  // namespace
}  // namespace cygnet::daemon
