// The IKEv1 engine end to end through the public Engine API: two engines back to back
// (engine_harness.hpp), Main Mode / Aggressive Mode, Quick Mode, rekeys, Delete, DPD.
#include "ike/v1/ikev1_engine.hpp"

#include <gtest/gtest.h>

#include "unit/ike/engine_harness.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace isakmp = wire::isakmp;

ConnectionSettings v1_connection(std::string_view local, std::string_view remote,
                                 std::string_view psk = "correct horse battery staple",
                                 std::string_view esp = "aes256gcm16",
                                 std::string_view ike = "aes256-sha256-modp2048") {
  ConnectionSettings c = psk_connection("site", local, remote, psk, ike);
  c.ike_version = 1;
  c.children[0].proposals = {proposal(esp, ProtocolId::Esp)};
  return c;
}

void establish(BackToBack& net, ConnectionSettings a, ConnectionSettings b) {
  ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
  net.run();
}

bool tunnel_works(BackToBack& net) {
  return net.traffic(net.a, "198.51.100.7", "203.0.113.9") &&
         net.traffic(net.b, "203.0.113.9", "198.51.100.7");
}

std::size_t exchanges_of(const BackToBack& net, isakmp::ExchangeType type) {
  std::size_t n = 0;
  for (const auto& d : net.wire_log) {
    ByteView p = d.payload;
    if (d.local.port == 4500) p = p.subspan(4);
    const auto h = isakmp::parse_header(p);
    if (h && h.value->exchange == type) ++n;
  }
  return n;
}

TEST(Ikev1Engine, MainModePskThenQuickModeCarriesTraffic) {
  BackToBack net;
  establish(net, v1_connection("192.0.2.1", "192.0.2.2"), v1_connection("192.0.2.2", "192.0.2.1"));
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.a.count(EventType::ChildSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 1u);
  EXPECT_EQ(exchanges_of(net, isakmp::kMainMode), 6u);
  EXPECT_EQ(exchanges_of(net, isakmp::ExchangeType::QuickMode), 3u);
  EXPECT_TRUE(tunnel_works(net));
  const auto status = net.a.engine->status(net.now);
  ASSERT_EQ(status.size(), 1u);
  ASSERT_EQ(status[0].ike_sas.size(), 1u);
  EXPECT_EQ(status[0].ike_sas[0].version, 1);
  EXPECT_EQ(status[0].ike_sas[0].mode, "main");
  EXPECT_EQ(status[0].ike_sas[0].algorithms, "aes256-sha256-modp2048");
  EXPECT_EQ(status[0].ike_sas[0].children.size(), 1u);
  EXPECT_EQ(net.a.engine->counters().ike_sas_established, 1u);
}

TEST(Ikev1Engine, AggressiveModeNeedsOptInOnTheResponder) {
  {
    BackToBack net;
    auto a = v1_connection("192.0.2.1", "192.0.2.2");
    a.aggressive = true;
    establish(net, a, v1_connection("192.0.2.2", "192.0.2.1"));
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
    const Event* e = net.b.find(EventType::Error);
    ASSERT_NE(e, nullptr);
    EXPECT_NE(e->detail.find("Aggressive Mode"), std::string::npos) << e->detail;
    EXPECT_EQ(net.a.data_plane().sad().size(), 0u);
  }
  {
    BackToBack net;
    auto a = v1_connection("192.0.2.1", "192.0.2.2");
    auto b = v1_connection("192.0.2.2", "192.0.2.1");
    a.aggressive = b.aggressive = true;
    establish(net, a, b);
    EXPECT_EQ(exchanges_of(net, isakmp::ExchangeType::Aggressive), 3u);
    EXPECT_TRUE(tunnel_works(net));
    EXPECT_EQ(net.b.engine->status(net.now)[0].ike_sas[0].mode, "aggressive");
  }
}

TEST(Ikev1Engine, WrongPskIsAnAuthenticationFailureAndInstallsNothing) {
  BackToBack net;
  establish(net, v1_connection("192.0.2.1", "192.0.2.2", "one secret"),
            v1_connection("192.0.2.2", "192.0.2.1", "another secret"));
  EXPECT_GE(net.b.count(EventType::AuthenticationFailed), 1u);
  EXPECT_EQ(net.a.data_plane().sad().size(), 0u);
  EXPECT_EQ(net.b.data_plane().sad().size(), 0u);
}

TEST(Ikev1Engine, PhaseOneProposalMismatchIsExplained) {
  BackToBack net;
  establish(net, v1_connection("192.0.2.1", "192.0.2.2", "k", "aes256gcm16", "aes128-sha256-modp2048"),
            v1_connection("192.0.2.2", "192.0.2.1", "k", "aes256gcm16", "aes256-sha384-ecp384"));
  const Event* e = net.b.find(EventType::NoProposalChosen);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("aes128"), std::string::npos) << e->detail;
  EXPECT_GE(net.a.count(EventType::NoProposalChosen), 1u);  // the responder's notify
}

TEST(Ikev1Engine, QuickModePfsAndRekeysKeepTrafficFlowing) {
  BackToBack net;
  auto a = v1_connection("192.0.2.1", "192.0.2.2", "k", "aes128-sha256-ecp256");
  auto b = v1_connection("192.0.2.2", "192.0.2.1", "k", "aes128-sha256-ecp256");
  a.children[0].lifetime = b.children[0].lifetime = Seconds(600);
  establish(net, a, b);
  ASSERT_TRUE(tunnel_works(net));
  const Event* e = net.a.find(EventType::ChildSaEstablished);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("PFS"), std::string::npos) << e->detail;
  for (int i = 0; i < 40; ++i) {
    net.advance(Seconds(60));
    ASSERT_TRUE(tunnel_works(net)) << "after " << (i + 1) << " minutes";
  }
  EXPECT_GE(net.a.engine->counters().child_sas_rekeyed + net.b.engine->counters().child_sas_rekeyed, 3u);
  EXPECT_LE(net.a.data_plane().sad().size(), 4u);
  EXPECT_LE(net.b.data_plane().sad().size(), 4u);
}

TEST(Ikev1Engine, PhaseOneIsRerunBeforeExpiryAndChildrenSurvive) {
  BackToBack net;
  auto a = v1_connection("192.0.2.1", "192.0.2.2");
  auto b = v1_connection("192.0.2.2", "192.0.2.1");
  a.ike_lifetime = b.ike_lifetime = Seconds(1200);
  establish(net, a, b);
  for (int i = 0; i < 60; ++i) {
    net.advance(Seconds(60));
    ASSERT_TRUE(tunnel_works(net)) << "after " << (i + 1) << " minutes";
  }
  EXPECT_GE(net.a.engine->counters().ike_sas_established, 3u);
  EXPECT_LE(net.a.ike_sa_count(), 2u);
  EXPECT_LE(net.b.ike_sa_count(), 2u);
}

TEST(Ikev1Engine, OperatorDownDeletesOnBothSides) {
  BackToBack net;
  establish(net, v1_connection("192.0.2.1", "192.0.2.2"), v1_connection("192.0.2.2", "192.0.2.1"));
  ASSERT_TRUE(net.a.engine->down("site", net.now));
  net.run();
  EXPECT_EQ(net.a.data_plane().sad().size(), 0u);
  EXPECT_EQ(net.b.data_plane().sad().size(), 0u);
  EXPECT_GE(net.b.count(EventType::ChildSaDeleted), 1u);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
}

TEST(Ikev1Engine, DeadPeerIsDetectedWithRuThere) {
  BackToBack net;
  auto a = v1_connection("192.0.2.1", "192.0.2.2");
  a.dpd_delay = Seconds(10);
  establish(net, a, v1_connection("192.0.2.2", "192.0.2.1"));
  ASSERT_TRUE(tunnel_works(net));
  net.advance(Seconds(30));  // DPD answered: still up
  EXPECT_EQ(net.a.count(EventType::PeerDead), 0u);
  net.drop = [](const SendDatagram&, bool) { return true; };
  net.advance(Seconds(200));
  EXPECT_EQ(net.a.count(EventType::PeerDead), 1u);
  EXPECT_EQ(net.a.data_plane().sad().size(), 0u);
}

TEST(Ikev1Engine, LossIsRepairedByRetransmission) {
  BackToBack net;
  int n = 0;
  net.drop = [&n](const SendDatagram&, bool) { return ++n % 3 == 0; };
  establish(net, v1_connection("192.0.2.1", "192.0.2.2"), v1_connection("192.0.2.2", "192.0.2.1"));
  net.advance(Seconds(60));
  net.drop = nullptr;
  EXPECT_TRUE(tunnel_works(net));
  EXPECT_GT(net.a.engine->counters().retransmissions + net.b.engine->counters().retransmissions, 0u);
}

TEST(Ikev1Engine, RestartedPeerSendsInitialContact) {
  BackToBack net;
  establish(net, v1_connection("192.0.2.1", "192.0.2.2"), v1_connection("192.0.2.2", "192.0.2.1"));
  ASSERT_TRUE(tunnel_works(net));
  net.a.restart(BackToBack::fix({}), 99);
  auto a = v1_connection("192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  EXPECT_EQ(net.b.count(EventType::InitialContact), 1u);
  EXPECT_TRUE(tunnel_works(net));
  EXPECT_EQ(net.b.ike_sa_count(), 1u);
  EXPECT_EQ(net.b.data_plane().sad().size(), 2u);
}

TEST(Ikev1Engine, ResponderLifetimeShortensTheInitiatorsSa) {
  BackToBack net;
  auto a = v1_connection("192.0.2.1", "192.0.2.2");
  auto b = v1_connection("192.0.2.2", "192.0.2.1");
  a.children[0].lifetime = Seconds(3600);
  b.children[0].lifetime = Seconds(600);
  b.children[0].life_bytes = 1024 * 1024;
  establish(net, a, b);
  // A learned B's shorter limits (RESPONDER-LIFETIME): rekey well before 600 s, volume limit 1 MiB.
  const auto status = net.a.engine->status(net.now);
  ASSERT_EQ(status[0].ike_sas[0].children.size(), 1u);
  ASSERT_TRUE(status[0].ike_sas[0].children[0].rekey_in);
  EXPECT_LE(*status[0].ike_sas[0].children[0].rekey_in, Seconds(600));
  bool found = false;
  for (const auto& action : net.a.log)
    if (const auto* install = std::get_if<InstallChildSa>(&action)) {
      EXPECT_EQ(install->outbound.lifetime.hard_bytes, 1024u * 1024u);
      found = true;
    }
  EXPECT_TRUE(found);
  const Event* e = net.a.find(EventType::ChildSaEstablished);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("lifetime 600 s"), std::string::npos) << e->detail;
}

TEST(Ikev1Engine, TransportModeAndAh) {
  for (const auto protocol : {ipsec::IpsecProtocol::Esp, ipsec::IpsecProtocol::Ah}) {
    BackToBack net;
    auto a = v1_connection("192.0.2.1", "192.0.2.2");
    auto b = v1_connection("192.0.2.2", "192.0.2.1");
    for (auto* c : {&a, &b}) {
      c->children[0].mode = ipsec::Mode::Transport;
      c->children[0].protocol = protocol;
      c->children[0].local_ts.clear();
      c->children[0].remote_ts.clear();
      c->children[0].proposals = {
          proposal(protocol == ipsec::IpsecProtocol::Ah ? "sha256" : "aes128-sha256",
                   protocol == ipsec::IpsecProtocol::Ah ? ProtocolId::Ah : ProtocolId::Esp)};
    }
    establish(net, a, b);
    EXPECT_TRUE(net.traffic(net.a, "192.0.2.1", "192.0.2.2"));
    EXPECT_TRUE(net.traffic(net.b, "192.0.2.2", "192.0.2.1"));
    const auto status = net.b.engine->status(net.now);
    ASSERT_EQ(status[0].ike_sas[0].children.size(), 1u);
    EXPECT_EQ(status[0].ike_sas[0].children[0].mode, ipsec::Mode::Transport);
    EXPECT_EQ(status[0].ike_sas[0].children[0].protocol, protocol);
  }
}

TEST(Ikev1Engine, AeadOnlyPhaseOneIsRefused) {
  BackToBack net;
  auto c = v1_connection("192.0.2.1", "192.0.2.2", "k", "aes256gcm16", "aes256gcm16-prfsha256-x25519");
  EXPECT_FALSE(net.a.engine->add_connection(c, net.now));
  net.run();
  const Event* e = net.a.find(EventType::Error);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("CBC"), std::string::npos);
}

}  // namespace
}  // namespace cygnet::ike::test
