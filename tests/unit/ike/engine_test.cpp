// The IKEv2 engine end to end: two engines back to back (engine_harness.hpp), no loss unless a test
// drops datagrams on purpose.
#include "ike/engine.hpp"

#include <gtest/gtest.h>

#include "unit/ike/engine_harness.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;

void establish(BackToBack& net, ConnectionSettings a, ConnectionSettings b) {
  ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
  net.run();
}

void expect_up(BackToBack& net) {
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.a.count(EventType::ChildSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 1u);
  EXPECT_EQ(net.a.data_plane().sad().size(), 2u);
  EXPECT_EQ(net.b.data_plane().sad().size(), 2u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(net.traffic(net.b, "203.0.113.9", "198.51.100.7"));
}

class PskGroups : public ::testing::TestWithParam<const char*> {};

TEST_P(PskGroups, EstablishesIkeAndFirstChildAndCarriesTraffic) {
  BackToBack net;
  const std::string ike = std::string("aes256gcm16-prfsha256-") + GetParam();
  establish(net, psk_connection("site", "192.0.2.1", "192.0.2.2", "s3cret-psk-value", ike),
            psk_connection("site", "192.0.2.2", "192.0.2.1", "s3cret-psk-value", ike));
  expect_up(net);
  const auto status = net.a.engine->status(net.now);
  ASSERT_EQ(status.size(), 1u);
  ASSERT_EQ(status[0].ike_sas.size(), 1u);
  EXPECT_EQ(status[0].ike_sas[0].state, IkeSaState::Established);
  EXPECT_NE(status[0].ike_sas[0].algorithms.find(GetParam()), std::string::npos);
  EXPECT_FALSE(status[0].ike_sas[0].nat_detected);
  EXPECT_EQ(net.a.engine->counters().ike_sas_established, 1u);
  EXPECT_EQ(net.b.engine->counters().child_sas_established, 1u);
  // No secret ever appears in event text.
  for (const auto& e : net.a.events) EXPECT_EQ(e.detail.find("s3cret"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Groups, PskGroups, ::testing::Values("x25519", "ecp256", "modp2048"));

ConnectionSettings site_a() { return psk_connection("site", "192.0.2.1", "192.0.2.2"); }
ConnectionSettings site_b() { return psk_connection("site", "192.0.2.2", "192.0.2.1"); }

TEST(Engine, WrongPskFailsOnBothSidesAndInstallsNothing) {
  BackToBack net;
  establish(net, psk_connection("site", "192.0.2.1", "192.0.2.2", "one secret"),
            psk_connection("site", "192.0.2.2", "192.0.2.1", "another secret"));
  const Event* e = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("PSK mismatch"), std::string::npos) << e->detail;
  EXPECT_EQ(net.a.count(EventType::AuthenticationFailed), 1u);
  EXPECT_EQ(net.b.engine->counters().authentication_failures, 1u);
  EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 0u);
  EXPECT_EQ(net.b.count_actions<InstallChildSa>(), 0u);
  EXPECT_EQ(net.a.ike_sa_count(), 0u);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
}

TEST(Engine, ProposalMismatchIsExplained) {
  BackToBack net;
  establish(net, psk_connection("site", "192.0.2.1", "192.0.2.2", "k", "aes128gcm16-prfsha256-ecp256"),
            psk_connection("site", "192.0.2.2", "192.0.2.1", "k", "aes256gcm16-prfsha384-x25519"));
  const Event* e = net.b.find(EventType::NoProposalChosen);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->detail.empty());
  EXPECT_NE(e->detail.find("aes128gcm16"), std::string::npos) << e->detail;
  const Event* ea = net.a.find(EventType::NoProposalChosen);
  ASSERT_NE(ea, nullptr);
  EXPECT_NE(ea->detail.find("aes128gcm16-prfsha256-ecp256"), std::string::npos) << ea->detail;
  EXPECT_EQ(net.b.engine->counters().no_proposal_chosen, 1u);
  EXPECT_EQ(net.a.ike_sa_count(), 0u);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
}

TEST(Engine, ChildProposalMismatchKeepsIkeSaUp) {
  BackToBack net;
  auto a = site_a();
  a.children[0].proposals = {proposal("aes128-sha256", ProtocolId::Esp)};
  establish(net, a, site_b());
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.a.count(EventType::NoProposalChosen), 1u);
  EXPECT_EQ(net.b.count(EventType::NoProposalChosen), 1u);
  EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 0u);
  EXPECT_EQ(net.a.ike_sa_count(), 1u);
}

TEST(Engine, ResponderNarrowsTrafficSelectors) {
  BackToBack net;
  auto a = site_a();
  a.children[0].local_ts = {prefix("198.51.100.0/24")};
  a.children[0].remote_ts = {prefix("203.0.113.0/24")};
  auto b = site_b();
  b.children[0].local_ts = {prefix("203.0.113.0/25")};
  b.children[0].remote_ts = {prefix("198.51.100.0/26")};
  establish(net, a, b);
  ASSERT_EQ(net.a.count(EventType::ChildSaEstablished), 1u);
  const auto status = net.a.engine->status(net.now);
  ASSERT_EQ(status[0].ike_sas[0].children.size(), 1u);
  const auto& sel = status[0].ike_sas[0].children[0].selectors;
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(sel[0].local.to_string(), "198.51.100.0/26");
  EXPECT_EQ(sel[0].remote.to_string(), "203.0.113.0/25");
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
}

TEST(Engine, DisjointSelectorsGetTsUnacceptableAndIkeSaStays) {
  BackToBack net;
  auto b = site_b();
  b.children[0].remote_ts = {prefix("198.51.100.128/25")};
  auto a = site_a();
  a.children[0].local_ts = {prefix("198.51.100.0/25")};
  establish(net, a, b);
  EXPECT_EQ(net.b.count(EventType::TsUnacceptable), 1u);
  EXPECT_EQ(net.a.count(EventType::TsUnacceptable), 1u);
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 0u);
  EXPECT_EQ(net.b.count_actions<InstallChildSa>(), 0u);
}

TEST(Engine, CookieRoundTripUnderLoad) {
  EngineOptions loaded;
  loaded.cookie_threshold = 0;
  BackToBack net({}, loaded);
  establish(net, site_a(), site_b());
  EXPECT_EQ(net.a.count(EventType::CookieRequested), 1u);
  EXPECT_EQ(net.b.engine->counters().cookies_sent, 1u);
  expect_up(net);
}

TEST(Engine, InvalidKePayloadRetriesWithRequestedGroup) {
  BackToBack net;
  auto a = site_a();
  a.ike_proposals = {proposal("aes256gcm16-prfsha256-x25519-ecp256", ProtocolId::Ike)};
  auto b = site_b();
  b.ike_proposals = {proposal("aes256gcm16-prfsha256-ecp256", ProtocolId::Ike)};
  establish(net, a, b);
  const Event* e = net.a.find(EventType::InvalidKeRetry);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("ecp256"), std::string::npos);
  expect_up(net);
}

TEST(Engine, DuplicateRequestIsAnsweredFromCache) {
  BackToBack net;
  int auth_responses = 0;
  net.drop = [&](const SendDatagram& d, bool from_a) {
    if (from_a) return false;
    auto h = ikev2::parse_header(d.payload);
    // Lose B's first IKE_AUTH response: A retransmits, B must not process the request again.
    return h && h.value->exchange == ikev2::ExchangeType::IkeAuth && ++auth_responses == 1;
  };
  establish(net, site_a(), site_b());
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 0u);
  net.advance(Seconds{2});
  EXPECT_EQ(net.b.engine->counters().duplicate_requests, 1u);
  EXPECT_EQ(net.a.engine->counters().retransmissions, 1u);
  EXPECT_EQ(net.b.count_actions<InstallChildSa>(), 1u);
  expect_up(net);
}

TEST(Engine, RetransmitsThenGivesUp) {
  EngineOptions o;
  o.retransmit_tries = 3;
  BackToBack net(o);
  net.drop = [](const SendDatagram&, bool) { return true; };
  establish(net, site_a(), site_b());
  net.advance(Seconds{60});
  EXPECT_EQ(net.a.engine->counters().retransmissions, 3u);
  EXPECT_EQ(net.a.count(EventType::RetransmitGaveUp), 1u);
  EXPECT_EQ(net.a.ike_sa_count(), 0u);
  EXPECT_FALSE(net.a.engine->next_deadline().has_value());
}

TEST(Engine, ChildRekeyIsMakeBeforeBreak) {
  BackToBack net;
  auto a = site_a();
  a.children[0].lifetime = Seconds{600};
  auto b = site_b();
  b.children[0].lifetime = Seconds{3600};
  establish(net, a, b);
  expect_up(net);
  net.advance(Seconds{550});  // A rekeys between 480 s and 540 s
  EXPECT_EQ(net.a.count(EventType::ChildSaRekeyed), 1u);
  EXPECT_EQ(net.b.count(EventType::ChildSaRekeyed), 1u);
  EXPECT_EQ(net.a.engine->counters().child_sas_rekeyed, 1u);
  EXPECT_EQ(net.a.count_actions<RemoveChildSa>(), 1u);
  EXPECT_EQ(net.b.count_actions<RemoveChildSa>(), 1u);
  EXPECT_EQ(net.b.count_actions<ActivateChildSa>(), 1u);
  EXPECT_EQ(net.a.count(EventType::ChildSaDeleted), 0u);
  EXPECT_EQ(net.a.data_plane().sad().size(), 2u);
  EXPECT_EQ(net.b.data_plane().sad().size(), 2u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(net.traffic(net.b, "203.0.113.9", "198.51.100.7"));
}

TEST(Engine, SoftVolumeLimitTriggersRekeyOnce) {
  BackToBack net;
  establish(net, site_a(), site_b());
  const auto id = net.a.engine->status(net.now)[0].ike_sas[0].children[0].id;
  net.a.engine->on_child_sa_soft_limit(id, net.now);
  net.a.engine->on_child_sa_soft_limit(id, net.now);
  net.run();
  net.advance(Seconds{5});
  EXPECT_EQ(net.a.count(EventType::ChildSaRekeyed), 1u);
  EXPECT_EQ(net.a.established_children(), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
}

TEST(Engine, SimultaneousChildRekeyLeavesOnePair) {
  BackToBack net;
  establish(net, site_a(), site_b());
  const auto ida = net.a.engine->status(net.now)[0].ike_sas[0].children[0].id;
  const auto idb = net.b.engine->status(net.now)[0].ike_sas[0].children[0].id;
  net.a.engine->on_child_sa_soft_limit(ida, net.now);
  net.b.engine->on_child_sa_soft_limit(idb, net.now);
  net.run();
  net.advance(Seconds{10});
  EXPECT_EQ(net.a.established_children(), 1u);
  EXPECT_EQ(net.b.established_children(), 1u);
  EXPECT_EQ(net.a.data_plane().sad().size(), 2u);
  EXPECT_EQ(net.b.data_plane().sad().size(), 2u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(net.traffic(net.b, "203.0.113.9", "198.51.100.7"));
  const auto sa = net.a.engine->status(net.now)[0].ike_sas[0].children[0];
  const auto sb = net.b.engine->status(net.now)[0].ike_sas[0].children[0];
  EXPECT_EQ(sa.inbound_spi, sb.outbound_spi);
  EXPECT_EQ(sa.outbound_spi, sb.inbound_spi);
  // Both rekeys completed; the old pair and the redundant pair were retired on each side.
  EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 3u);
  EXPECT_EQ(net.a.count_actions<RemoveChildSa>(), 2u);
  EXPECT_EQ(net.b.count_actions<RemoveChildSa>(), 2u);
}

TEST(Engine, IkeLifetimesOnBothSidesEndWithOneIkeSa) {
  BackToBack net;
  auto a = site_a();
  auto b = site_b();
  a.ike_lifetime = b.ike_lifetime = Seconds{1000};
  establish(net, a, b);
  net.advance(Seconds{2000});
  EXPECT_EQ(net.a.ike_sa_count(), 1u);
  EXPECT_EQ(net.b.ike_sa_count(), 1u);
  EXPECT_EQ(net.a.established_children(), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
}

TEST(Engine, IkeRekeyMovesChildren) {
  BackToBack net;
  auto a = site_a();
  a.ike_lifetime = Seconds{1000};
  establish(net, a, site_b());
  net.advance(Seconds{950});
  EXPECT_EQ(net.a.count(EventType::IkeSaRekeyed), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaRekeyed), 1u);
  EXPECT_EQ(net.a.count(EventType::IkeSaDeleted), 0u);
  EXPECT_EQ(net.b.count(EventType::IkeSaDeleted), 0u);
  EXPECT_EQ(net.a.ike_sa_count(), 1u);
  EXPECT_EQ(net.b.ike_sa_count(), 1u);
  EXPECT_EQ(net.a.established_children(), 1u);
  EXPECT_EQ(net.b.established_children(), 1u);
  EXPECT_EQ(net.a.count_actions<RemoveChildSa>(), 0u);
  // The new IKE SA works: a child rekey runs over it.
  const auto id = net.a.engine->status(net.now)[0].ike_sas[0].children[0].id;
  net.a.engine->on_child_sa_soft_limit(id, net.now);
  net.run();
  EXPECT_EQ(net.b.count(EventType::ChildSaRekeyed), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
}

TEST(Engine, DownDeletesEverythingOnBothSides) {
  BackToBack net;
  establish(net, site_a(), site_b());
  ASSERT_TRUE(net.a.engine->down("site", net.now));
  net.run();
  EXPECT_EQ(net.a.count(EventType::IkeSaDeleted), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaDeleted), 1u);
  EXPECT_EQ(net.a.ike_sa_count(), 0u);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
  EXPECT_EQ(net.a.data_plane().sad().size(), 0u);
  EXPECT_EQ(net.b.data_plane().sad().size(), 0u);
  EXPECT_TRUE(net.a.data_plane().spd().policies().empty());
}

TEST(Engine, DeadPeerIsDetected) {
  BackToBack net;
  auto a = site_a();
  a.dpd_delay = Seconds{30};
  establish(net, a, site_b());
  net.drop = [](const SendDatagram&, bool) { return true; };
  net.advance(Seconds{200});
  EXPECT_EQ(net.a.count(EventType::PeerDead), 1u);
  EXPECT_EQ(net.a.ike_sa_count(), 0u);
  EXPECT_EQ(net.a.data_plane().sad().size(), 0u);
}

TEST(Engine, LivenessChecksKeepAQuietPairUp) {
  BackToBack net;
  establish(net, site_a(), site_b());
  net.advance(Seconds{300});
  EXPECT_EQ(net.a.count(EventType::PeerDead), 0u);
  EXPECT_EQ(net.a.ike_sa_count(), 1u);
  EXPECT_GT(net.a.engine->counters().datagrams_sent, 4u);
}

TEST(Engine, ForcedEncapsulationMovesToPort4500) {
  BackToBack net;
  auto a = site_a();
  a.encapsulation = Encapsulation::ForceUdp;
  establish(net, a, site_b());
  expect_up(net);
  EXPECT_TRUE(net.a.engine->status(net.now)[0].ike_sas[0].nat_detected);
  EXPECT_TRUE(net.b.engine->status(net.now)[0].ike_sas[0].nat_detected);
  EXPECT_TRUE(net.a.engine->status(net.now)[0].ike_sas[0].children[0].udp_encapsulated);
  bool saw_4500 = false;
  for (const auto& d : net.wire_log)
    if (d.local.port == 4500) {
      saw_4500 = true;
      ASSERT_GE(d.payload.size(), 4u);
      EXPECT_EQ(d.payload[0] | d.payload[1] | d.payload[2] | d.payload[3], 0);
    }
  EXPECT_TRUE(saw_4500);
}

TEST(Engine, TrapPolicyAcquireNegotiatesOnce) {
  BackToBack net;
  auto a = site_a();
  a.start_action = StartAction::Trap;
  ASSERT_TRUE(net.b.engine->add_connection(site_b(), net.now));
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  EXPECT_EQ(net.a.count_actions<InstallTrapPolicy>(), 1u);
  const Bytes packet = cygnet::test::make_packet(addr("198.51.100.7"), addr("203.0.113.9"), cygnet::test::L4::Udp, 10);
  Bytes out(512);
  const auto o = net.a.data_plane().process_outbound(packet, out, net.now);
  ASSERT_EQ(o.kind, ipsec::OutboundOutcome::Kind::Acquire);
  const auto target = net.a.binding().acquire_target(*o.policy);
  ASSERT_TRUE(target);
  net.a.engine->on_acquire(target->first, target->second, net.now);
  net.a.engine->on_acquire(target->first, target->second, net.now);
  net.run();
  EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  // Down: the SAs go, the trap stays and the next packet is an acquire again.
  net.a.engine->down("site", net.now);
  net.run();
  EXPECT_EQ(net.a.data_plane().process_outbound(packet, out, net.now).kind, ipsec::OutboundOutcome::Kind::Acquire);
  net.a.engine->remove_connection("site", net.now);
  net.run();
  EXPECT_TRUE(net.a.data_plane().spd().policies().empty());
}

TEST(Engine, InitialContactRemovesStaleSas) {
  BackToBack net;
  establish(net, site_a(), site_b());
  // A reboots: a fresh engine and data plane with the same configuration.
  net.a.restart(BackToBack::fix({}), 99);
  auto a = site_a();
  a.start_action = StartAction::Start;
  net.a.engine->add_connection(a, net.now);
  net.run();
  EXPECT_EQ(net.b.count(EventType::InitialContact), 1u);
  EXPECT_EQ(net.b.ike_sa_count(), 1u);
  EXPECT_EQ(net.b.established_children(), 1u);
}

TEST(Engine, SecondChildComesByCreateChildSa) {
  BackToBack net;
  auto a = site_a();
  a.children.push_back(child("second", "198.51.100.0/24", "203.0.113.0/24", "aes128gcm16-x25519"));
  auto b = site_b();
  b.children.push_back(child("second", "203.0.113.0/24", "198.51.100.0/24", "aes128gcm16-x25519"));
  establish(net, a, b);
  EXPECT_EQ(net.a.count(EventType::ChildSaEstablished), 2u);
  EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 2u);
  EXPECT_EQ(net.a.established_children(), 2u);
}

TEST(Engine, UnsupportedCriticalPayloadIsAnswered) {
  BackToBack net;
  ASSERT_TRUE(net.b.engine->add_connection(site_b(), net.now));
  ikev2::Message m;
  m.header.initiator_spi = 0x1122334455667788ULL;
  m.header.exchange = ikev2::ExchangeType::IkeSaInit;
  m.header.flags = ikev2::kFlagInitiator;
  m.payloads.emplace_back(ikev2::UnknownPayload{200, true, Bytes{1, 2, 3, 4}});
  const Bytes request = ikev2::serialize_message(m);
  net.b.engine->on_datagram({addr("192.0.2.2"), 500}, {addr("192.0.2.1"), 500}, request, net.now);
  auto actions = net.b.engine->take_actions();
  const SendDatagram* reply = nullptr;
  for (const auto& a : actions)
    if (const auto* d = std::get_if<SendDatagram>(&a)) reply = d;
  ASSERT_NE(reply, nullptr);
  auto parsed = ikev2::parse_message(reply->payload);
  ASSERT_TRUE(parsed);
  const auto* n = ikev2::find_notify(parsed.value->payloads, ikev2::NotifyType::UnsupportedCriticalPayload);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->data, Bytes{200});
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
}

TEST(Engine, GarbageNeverCrashes) {
  BackToBack net;
  establish(net, site_a(), site_b());
  auto rnd = seeded_random(7);
  std::vector<Bytes> seen;
  for (const auto& d : net.wire_log) seen.push_back(d.payload);
  for (int i = 0; i < 2000; ++i) {
    Bytes msg = seen[static_cast<std::size_t>(i) % seen.size()];
    // Flip a few bytes, truncate or extend.
    for (int k = 0; k < 3; ++k) msg[rnd->next_u32() % msg.size()] ^= static_cast<std::uint8_t>(1 + rnd->next_u32() % 255);
    if (i % 3 == 0) msg.resize(rnd->next_u32() % (msg.size() + 1));
    net.b.engine->on_datagram({addr("192.0.2.2"), 500}, {addr("192.0.2.1"), 500}, msg, net.now);
    net.a.engine->on_datagram({addr("192.0.2.1"), 500}, {addr("192.0.2.2"), 500}, msg, net.now);
    net.a.engine->take_actions();
    net.b.engine->take_actions();
  }
  EXPECT_GT(net.b.engine->counters().malformed + net.b.engine->counters().unknown_spi, 0u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
}

TEST(Engine, ADayOfRekeysOnBothSidesKeepsOnePairUp) {
  BackToBack net;
  auto a = site_a();
  auto b = site_b();
  for (auto* c : {&a, &b}) {
    c->children[0].lifetime = Seconds{1200};
    c->ike_lifetime = Seconds{3 * 3600};
  }
  establish(net, a, b);
  for (int hour = 0; hour < 24; ++hour) {
    net.advance(Seconds{3600});
    ASSERT_EQ(net.a.ike_sa_count(), 1u) << "hour " << hour;
    ASSERT_EQ(net.b.ike_sa_count(), 1u) << "hour " << hour;
    ASSERT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9")) << "hour " << hour;
    ASSERT_TRUE(net.traffic(net.b, "203.0.113.9", "198.51.100.7")) << "hour " << hour;
  }
  EXPECT_GE(net.a.engine->counters().child_sas_rekeyed + net.b.engine->counters().child_sas_rekeyed, 60u);
  EXPECT_GE(net.a.engine->counters().ike_sas_rekeyed, 7u);
  for (const Peer* p : {&net.a, &net.b})
    for (const auto& e : p->events) {
      EXPECT_NE(e.type, EventType::Error) << e.detail;
      EXPECT_NE(e.type, EventType::ChildSaDeleted) << e.detail;
    }
  EXPECT_LE(net.a.data_plane().sad().size(), 4u);
}

// --- certificates ---

struct Pki {
  explicit Pki(crypto::KeyType type)
      : ca_key(crypto::PrivateKey::generate(type)),
        ca(crypto::issue_certificate(spec("Cygnet Test CA", {}, true, false), ca_key.public_key(), ca_key, nullptr)) {}

  static crypto::CertificateSpec spec(std::string cn, std::vector<std::string> dns, bool is_ca, bool expired) {
    const auto now = std::chrono::system_clock::now();
    crypto::CertificateSpec s;
    s.common_name = std::move(cn);
    s.dns_names = std::move(dns);
    s.is_ca = is_ca;
    s.not_before = now - std::chrono::hours(expired ? 48 : 1);
    s.not_after = expired ? now - std::chrono::hours(1) : now + std::chrono::hours(24);
    return s;
  }

  ConnectionSettings connection(const ConnectionSettings& base, std::string_view self, std::string_view peer,
                                crypto::KeyType type, bool expired = false) {
    ConnectionSettings c = base;
    c.auth = AuthKind::PublicKey;
    c.psk = {};
    auto key = std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(type));
    c.certificate = crypto::issue_certificate(spec(std::string(self), {std::string(self)}, false, expired),
                                              key->public_key(), ca_key, &ca);
    c.private_key = key;
    c.ca_certificates = {ca};
    c.local_id = *Identity::parse(self);
    c.remote_id = *Identity::parse(peer);
    return c;
  }

  crypto::PrivateKey ca_key;
  crypto::Certificate ca;
};

class CertificateAuth : public ::testing::TestWithParam<crypto::KeyType> {};

TEST_P(CertificateAuth, EstablishesWithCertificatesFromOneCa) {
  BackToBack net;
  Pki pki(crypto::KeyType::EcdsaP256);
  establish(net, pki.connection(site_a(), "a.example", "b.example", GetParam()),
            pki.connection(site_b(), "b.example", "a.example", GetParam()));
  expect_up(net);
  EXPECT_EQ(net.a.engine->status(net.now)[0].ike_sas[0].remote_id, "b.example");
  EXPECT_EQ(net.b.engine->status(net.now)[0].ike_sas[0].remote_id, "a.example");
}

// strongSwan (send_cert = ifasked, its default) sends its certificate only when asked: the
// responder names its trusted CAs in a CERTREQ already in IKE_SA_INIT (found by interop testing).
TEST(CertificateAuthRequests, ResponderAsksForCertificatesInIkeSaInit) {
  BackToBack net;
  Pki pki(crypto::KeyType::EcdsaP256);
  establish(net, pki.connection(site_a(), "a.example", "b.example", crypto::KeyType::EcdsaP256),
            pki.connection(site_b(), "b.example", "a.example", crypto::KeyType::EcdsaP256));
  expect_up(net);
  bool found = false;
  for (const auto& d : net.wire_log) {
    auto m = ikev2::parse_message(d.payload);
    if (!m || m.value->header.exchange != ikev2::ExchangeType::IkeSaInit ||
        (m.value->header.flags & ikev2::kFlagResponse) == 0)
      continue;
    for (const auto& p : m.value->payloads) {
      if (const auto* req = std::get_if<ikev2::CertReqPayload>(&p)) {
        EXPECT_EQ(req->encoding, ikev2::CertEncoding::X509Signature);
        EXPECT_EQ(req->data, pki.ca.spki_sha1());  // one CA, named once
        found = true;
      }
    }
  }
  EXPECT_TRUE(found);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, CertificateAuth,
                         ::testing::Values(crypto::KeyType::EcdsaP256, crypto::KeyType::Rsa));

TEST(CertificateAuthFailures, ExpiredCertificateIsRejectedInWords) {
  BackToBack net;
  Pki pki(crypto::KeyType::EcdsaP256);
  establish(net, pki.connection(site_a(), "a.example", "b.example", crypto::KeyType::EcdsaP256, true),
            pki.connection(site_b(), "b.example", "a.example", crypto::KeyType::EcdsaP256));
  const Event* e = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("expired"), std::string::npos) << e->detail;
  EXPECT_EQ(net.a.count(EventType::AuthenticationFailed), 1u);
  EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 0u);
  EXPECT_EQ(net.b.count_actions<InstallChildSa>(), 0u);
}

TEST(CertificateAuthFailures, UntrustedCaIsRejected) {
  BackToBack net;
  Pki pki(crypto::KeyType::EcdsaP256);
  Pki other(crypto::KeyType::EcdsaP256);
  auto b = pki.connection(site_b(), "b.example", "a.example", crypto::KeyType::EcdsaP256);
  establish(net, other.connection(site_a(), "a.example", "b.example", crypto::KeyType::EcdsaP256), b);
  const Event* e = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("untrusted certificate"), std::string::npos) << e->detail;
}

TEST(CertificateAuthFailures, WrongPeerIdentityIsRejected) {
  BackToBack net;
  Pki pki(crypto::KeyType::EcdsaP256);
  auto b = pki.connection(site_b(), "b.example", "a.example", crypto::KeyType::EcdsaP256);
  establish(net, pki.connection(site_a(), "mallory.example", "b.example", crypto::KeyType::EcdsaP256), b);
  const Event* e = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("mallory.example"), std::string::npos) << e->detail;
  EXPECT_EQ(net.b.engine->counters().authentication_failures, 1u);
}

TEST(Fragmentation, LargeIkeAuthIsSentInFragments) {
  EngineOptions small;
  small.max_datagram = 400;
  BackToBack net(small, small);
  Pki pki(crypto::KeyType::Rsa);
  establish(net, pki.connection(site_a(), "a.example", "b.example", crypto::KeyType::Rsa),
            pki.connection(site_b(), "b.example", "a.example", crypto::KeyType::Rsa));
  expect_up(net);
  std::size_t fragments = 0;
  for (const auto& d : net.wire_log) {
    EXPECT_LE(d.payload.size(), 400u);
    auto m = ikev2::parse_message(d.payload);
    if (m && !m.value->payloads.empty() &&
        std::holds_alternative<ikev2::EncryptedFragmentPayload>(m.value->payloads.back()))
      ++fragments;
  }
  EXPECT_GT(fragments, 2u);
}

}  // namespace
}  // namespace cygnet::ike::test
