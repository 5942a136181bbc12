#include "cli/stats_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cygnet::cli {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const json kStats = json::parse(R"({
  "ike": {"datagrams_received": 14, "datagrams_sent": 15, "retransmissions": 1, "malformed": 0,
          "unknown_spi": 2, "duplicate_requests": 0, "cookies_sent": 0, "ike_sas_established": 1,
          "child_sas_established": 1, "ike_sas_rekeyed": 0, "child_sas_rekeyed": 3,
          "authentication_failures": 0, "no_proposal_chosen": 0},
  "data_plane": {"outbound": {"packets": 1000, "bytes": 1258291},
                 "inbound": {"packets": 998, "bytes": 1048576},
                 "bypassed": {"packets": 0, "bytes": 0},
                 "drops": {"unknown_spi": 0, "replay": 2, "icv_failure": 5, "policy_discard": 0}},
  "daemon": {"tun_packets_read": 1000, "tun_packets_written": 998, "network_packets_received": 1012,
             "network_packets_sent": 1015, "send_errors": 0, "acquires": 1,
             "queued_while_negotiating": 3, "queue_overflow_drops": 0, "nat_keepalives_sent": 0,
             "control_requests": 9, "reloads": 0, "queue_expired_drops": 4},
  "sas": [{"connection": "site-b", "child": "net", "id": 2,
           "inbound_spi": "c1a2b3c4", "outbound_spi": "d5e6f708",
           "inbound": {"packets": 998, "bytes": 1048576}, "outbound": {"packets": 1000, "bytes": 1258291},
           "drops": {"replay": 2, "icv_failure": 5}},
          {"connection": "site-c", "child": "lan", "id": 7,
           "inbound_spi": "0000abcd", "outbound_spi": "0000ef01",
           "inbound": {"packets": 1, "bytes": 100}, "outbound": {"packets": 0, "bytes": 0},
           "drops": {}}]
})");

TEST(StatsText, IkeCountersInReadingOrder) {
  const std::string text = render_stats(kStats);
  EXPECT_THAT(text, HasSubstr("IKE\n  datagrams received          14\n  datagrams sent              15\n"));
  EXPECT_THAT(text, HasSubstr("  unknown SPI                 2\n"));
  EXPECT_THAT(text, HasSubstr("  CHILD SAs rekeyed           3\n"));
  EXPECT_THAT(text, HasSubstr("  no proposal chosen          0\n"));
}

TEST(StatsText, DataPlaneTrafficAndNonZeroDrops) {
  const std::string text = render_stats(kStats);
  EXPECT_THAT(text, HasSubstr("outbound (protected)        1000 packets, 1.2 MiB (1258291 bytes)\n"));
  EXPECT_THAT(text, HasSubstr("inbound (decapsulated)      998 packets, 1.0 MiB (1048576 bytes)\n"));
  EXPECT_THAT(text, HasSubstr("bypassed                    0 packets, 0 B\n"));
  // Most frequent first; zero reasons left out.
  EXPECT_THAT(text, HasSubstr("  drops                       7 in total\n"
                              "    icv_failure               5\n"
                              "    replay                    2\n"));
  EXPECT_THAT(text, Not(HasSubstr("policy_discard")));
}

TEST(StatsText, NoDrops) {
  json quiet = kStats;
  quiet["data_plane"]["drops"] = {{"replay", 0}, {"icv_failure", 0}};
  EXPECT_THAT(render_stats(quiet), HasSubstr("  drops                       no drops\n"));
}

TEST(StatsText, DaemonCountersIncludingOnesAddedLater) {
  const std::string text = render_stats(kStats);
  EXPECT_THAT(text, HasSubstr("daemon\n  TUN packets read            1000\n"));
  EXPECT_THAT(text, HasSubstr("  queue expired drops         4\n"));
  EXPECT_THAT(text, HasSubstr("  control requests            9\n"));
  json newer = kStats;
  newer["daemon"]["route_updates"] = 12;
  EXPECT_THAT(render_stats(newer), HasSubstr("  route updates               12\n"));
}

TEST(StatsText, OneLinePerSa) {
  const std::string text = render_stats(kStats);
  EXPECT_THAT(text, HasSubstr("SAs\n  site-b/net #2: in c1a2b3c4 998 packets, 1.0 MiB (1048576 bytes); "
                              "out d5e6f708 1000 packets, 1.2 MiB (1258291 bytes); "
                              "drops: icv_failure 5 replay 2\n"));
  EXPECT_THAT(text, HasSubstr("  site-c/lan #7: in 0000abcd 1 packet, 100 B; out 0000ef01 0 packets, 0 B; "
                              "no drops\n"));
}

TEST(StatsText, MissingSectionsAreSaidSo) {
  const std::string text = render_stats(json::object());
  EXPECT_THAT(text, HasSubstr("IKE\n  (not reported)\n"));
  EXPECT_THAT(text, HasSubstr("data plane\n  (not reported)\n"));
  EXPECT_THAT(text, HasSubstr("SAs\n  no CHILD SAs\n"));
  EXPECT_NO_THROW(render_stats(json::array({1})));
}

}  // namespace
}  // namespace cygnet::cli

namespace cygnet::cli {
namespace {

TEST(StatsText, OneLinePerWorkerOnlyWhenThereAreWorkers) {
  EXPECT_THAT(render_stats(kStats), Not(HasSubstr("workers\n")));
  json with_workers = kStats;
  with_workers["workers"] = json::parse(R"([
    {"worker": 0, "tun_packets_read": 600, "protected_out": 598, "network_packets_in": 998,
     "decapsulated_in": 996, "outbound_drops": 2, "inbound_drops": 2, "hand_over_drops": 0, "acquires": 1},
    {"worker": 1, "tun_packets_read": 400, "protected_out": 400, "network_packets_in": 0,
     "decapsulated_in": 0, "outbound_drops": 0, "inbound_drops": 0, "hand_over_drops": 3, "acquires": 0}])");
  const std::string text = render_stats(with_workers);
  EXPECT_THAT(
      text,
      HasSubstr("\nworkers\n  worker 0                    TUN read 600, protected 598, decapsulated 996 "
                "of 998 handed in, drops out 2 / in 2, hand-over drops 0, acquires 1\n"));
  EXPECT_THAT(text,
              HasSubstr("  worker 1                    TUN read 400, protected 400, decapsulated 0 of 0 "
                        "handed in, drops out 0 / in 0, hand-over drops 3, acquires 0\n"));
}

}  // namespace
}  // namespace cygnet::cli
