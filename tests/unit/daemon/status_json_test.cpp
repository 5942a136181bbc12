#include "daemon/status_json.hpp"

#include <gtest/gtest.h>

#include "unit/ike/engine_harness.hpp"

namespace cygnet::daemon {
namespace {

using ike::test::BackToBack;
using ike::test::psk_connection;
using nlohmann::json;

// Two engines with an established tunnel and a few packets through it.
struct Established : ::testing::Test {
  void SetUp() override {
    settings_a = psk_connection("site", "192.0.2.1", "192.0.2.2");
    ASSERT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", "192.0.2.1"), net.now));
    ASSERT_TRUE(net.a.engine->add_connection(settings_a, net.now));
    ASSERT_TRUE(net.a.engine->up("site", net.now));
    net.run();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
    net.advance(Seconds(42));
  }
  BackToBack net;
  ike::ConnectionSettings settings_a;
};

TEST_F(Established, StatusNamesTheSasTheirSpisSelectorsAndCounters) {
  const json s = status_json(net.a.engine->status(net.now), {settings_a}, net.a.binding(), net.a.data_plane(),
                             DaemonInfo{77, 5, "/etc/cygnet/a.toml", "cygnet0"});
  EXPECT_EQ(s["daemon"]["pid"], 77);
  EXPECT_EQ(s["daemon"]["tun"], "cygnet0");
  ASSERT_EQ(s["connections"].size(), 1u);
  const json& c = s["connections"][0];
  EXPECT_EQ(c["name"], "site");
  EXPECT_EQ(c["ike_version"], 2);
  EXPECT_EQ(c["remote_addrs"][0], "192.0.2.2");
  EXPECT_EQ(c["children"][0]["remote_ts"][0], "203.0.113.0/24");
  ASSERT_EQ(c["ike_sas"].size(), 1u);
  const json& sa = c["ike_sas"][0];
  EXPECT_EQ(sa["version"], 2);
  EXPECT_FALSE(sa.contains("mode"));
  EXPECT_EQ(sa["state"], "established");
  EXPECT_EQ(sa["initiator"], true);
  EXPECT_EQ(sa["remote"], "192.0.2.2[500]");
  EXPECT_EQ(sa["algorithms"], "aes256gcm16-prfsha256-x25519");
  EXPECT_EQ(sa["nat_detected"], false);
  EXPECT_EQ(sa["nat_local"], false);  // which side is behind a NAT, for `status`
  EXPECT_EQ(sa["nat_remote"], false);
  EXPECT_EQ(sa["initiator_spi"].get<std::string>().size(), 16u);
  EXPECT_EQ(sa["age_seconds"], 42);
  EXPECT_TRUE(sa["rekey_in_seconds"].is_number());
  ASSERT_EQ(sa["child_sas"].size(), 1u);
  const json& child = sa["child_sas"][0];
  EXPECT_EQ(child["name"], "net");
  EXPECT_EQ(child["protocol"], "esp");
  EXPECT_EQ(child["mode"], "tunnel");
  EXPECT_EQ(child["local_ts"][0], "198.51.100.0/24");
  EXPECT_EQ(child["remote_ts"][0], "203.0.113.0/24");
  EXPECT_EQ(child["outbound"]["packets"], 3);
  EXPECT_GT(child["outbound"]["bytes"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(child["inbound"]["packets"], 0);
  // The SPIs printed are the ones the data plane uses.
  const auto status = net.a.engine->status(net.now);
  EXPECT_EQ(child["inbound_spi"], spi_hex(status[0].ike_sas[0].children[0].inbound_spi));
  EXPECT_EQ(child["inbound_spi"].get<std::string>().size(), 8u);
}

TEST_F(Established, StatsCountEngineDataPlaneAndDaemonEvents) {
  DaemonCounters daemon;
  daemon.tun_packets_read = 11;
  const json s = stats_json(net.a.engine->status(net.now), net.a.engine->counters(), net.a.binding(),
                            net.a.data_plane(), daemon);
  EXPECT_EQ(s["ike"]["ike_sas_established"], 1);
  EXPECT_EQ(s["ike"]["child_sas_established"], 1);
  EXPECT_EQ(s["data_plane"]["outbound"]["packets"], 3);
  EXPECT_TRUE(s["data_plane"]["drops"].contains("replay"));
  EXPECT_EQ(s["daemon"]["tun_packets_read"], 11);
  ASSERT_EQ(s["sas"].size(), 1u);
  EXPECT_EQ(s["sas"][0]["outbound"]["packets"], 3);
  EXPECT_TRUE(s["sas"][0]["drops"].empty());  // only non-zero reasons are listed
}

TEST(StatusJson, ConnectionWithoutSas) {
  const ike::ConnectionSettings c = psk_connection("idle", "192.0.2.1", "192.0.2.2");
  ipsec::DataPlane plane;
  ike::DataPlaneBinding binding(plane);
  ike::ConnectionStatus status;
  status.name = "idle";
  status.start_action = ike::StartAction::Trap;
  const json s = status_json({status}, {c}, binding, plane, DaemonInfo{});
  EXPECT_EQ(s["connections"][0]["start_action"], "trap");
  EXPECT_TRUE(s["connections"][0]["ike_sas"].empty());
}

// Each IKE SA says which IKE version it speaks and, for IKEv1, which phase-1 exchange made it.
TEST(StatusJson, IkeSaVersionAndIkev1Mode) {
  ike::ConnectionSettings c = psk_connection("legacy", "192.0.2.1", "192.0.2.3");
  c.ike_version = 1;
  ipsec::DataPlane plane;
  ike::DataPlaneBinding binding(plane);
  ike::ConnectionStatus status;
  status.name = "legacy";
  for (const char* mode : {"main", "aggressive"}) {
    ike::IkeSaStatus sa;
    sa.id = status.ike_sas.size() + 1;
    sa.connection = "legacy";
    sa.version = 1;
    sa.mode = mode;
    sa.state = ike::IkeSaState::Established;
    status.ike_sas.push_back(sa);
  }
  ike::IkeSaStatus v2;
  v2.id = 3;
  v2.connection = "legacy";
  status.ike_sas.push_back(v2);  // version defaults to 2, mode empty

  const json s = status_json({status}, {c}, binding, plane, DaemonInfo{});
  const json& conn = s["connections"][0];
  EXPECT_EQ(conn["ike_version"], 1);
  ASSERT_EQ(conn["ike_sas"].size(), 3u);
  EXPECT_EQ(conn["ike_sas"][0]["version"], 1);
  EXPECT_EQ(conn["ike_sas"][0]["mode"], "main");
  EXPECT_EQ(conn["ike_sas"][1]["version"], 1);
  EXPECT_EQ(conn["ike_sas"][1]["mode"], "aggressive");
  EXPECT_EQ(conn["ike_sas"][2]["version"], 2);
  EXPECT_FALSE(conn["ike_sas"][2].contains("mode"));  // IKEv2 has no phase-1 modes
}

// The same through the real IKEv1 engine: Main Mode with a PSK, then Quick Mode.
TEST(StatusJson, Ikev1MainModeSaReportsVersionAndMode) {
  BackToBack net;
  auto v1 = [](const char* local, const char* remote) {
    ike::ConnectionSettings c = psk_connection("legacy", local, remote,
                                               "correct horse battery staple",
                                               "aes256-sha256-modp3072");
    c.ike_version = 1;
    return c;
  };
  const ike::ConnectionSettings settings_a = v1("192.0.2.1", "192.0.2.2");
  ASSERT_TRUE(net.b.engine->add_connection(v1("192.0.2.2", "192.0.2.1"), net.now));
  ASSERT_TRUE(net.a.engine->add_connection(settings_a, net.now));
  ASSERT_TRUE(net.a.engine->up("legacy", net.now));
  net.run();
  const json s = status_json(net.a.engine->status(net.now), {settings_a}, net.a.binding(),
                             net.a.data_plane(), DaemonInfo{});
  const json& conn = s["connections"][0];
  EXPECT_EQ(conn["ike_version"], 1);
  ASSERT_EQ(conn["ike_sas"].size(), 1u);
  const json& sa = conn["ike_sas"][0];
  EXPECT_EQ(sa["version"], 1);
  EXPECT_EQ(sa["mode"], "main");
  EXPECT_EQ(sa["state"], "established");
  EXPECT_EQ(sa["child_sas"].size(), 1u);
}

TEST(StatusJson, SpiFormatting) {
  EXPECT_EQ(spi_hex(0xc1a2b3c4), "c1a2b3c4");
  EXPECT_EQ(spi_hex(0x100), "00000100");
  EXPECT_EQ(ike_spi_hex(0x0123456789abcdefULL), "0123456789abcdef");
}

}  // namespace
}  // namespace cygnet::daemon
