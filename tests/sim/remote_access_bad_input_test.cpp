// Issue 14's bad input against a remote-access gateway with several clients connected and
// sending traffic: each input gets a clear, counted answer and every other client is untouched
// (same IKE and CHILD SA SPIs, traffic still flowing, no event about it), with the gateway's
// leases, SAs, SAD and SPD consistent afterwards (road_warrior_fleet.hpp).
//
// Already covered elsewhere, two engines back to back with a bystander SA:
//   EAP Responses out of order, oversized or replayed under the live keys, AUTH before EAP
//   finished, too many rounds, a fake gateway's early EAP-Success: tests/unit/ike/eap_ike_auth_test.cpp
//   malformed CP attributes, a CFG_REPLY where a request belongs: tests/unit/ike/config_payload_test.cpp
//   replayed, spoofed or unauthenticated UPDATE_SA_ADDRESSES: tests/unit/ike/mobike_test.cpp
// Here, with a fleet: a wrong MSCHAPv2 response, a replay of a whole EAP conversation (bad-input
// catalog row 12), a configuration request for an address outside every pool and for another
// client's address, pool exhaustion, and UPDATE_SA_ADDRESSES from an address that cannot answer
// the return routability check (COOKIE2).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "crypto/mschapv2.hpp"
#include "ike/failure_report.hpp"
#include "sim/road_warrior_fleet.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

constexpr int kClients = 8;

FleetOptions small_fleet() {
  FleetOptions o;
  o.clients = kClients;
  o.seed = 14014;
  o.dual_stack_every = 4;   // clients 0 and 4 ask for IPv4 too
  o.certificate_every = 4;  // clients 1 and 5 authenticate by certificate
  return o;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// What a bystander looks like before the bad input; compared after it.
struct Bystander {
  std::uint64_t initiator_spi = 0;
  std::uint64_t responder_spi = 0;
  std::set<std::pair<std::uint32_t, std::uint32_t>> children;  // (inbound, outbound) SPIs
  std::vector<wire::IpAddress> vips;
  std::uint64_t delivered = 0;
  std::size_t events = 0;
};

class BadRemoteAccessInput : public ::testing::Test {
 protected:
  explicit BadRemoteAccessInput(FleetOptions o = small_fleet()) : fleet(o) {}

  // Connects every client except `except` and starts their traffic.
  void connect_all_but(std::set<int> except) {
    excluded = std::move(except);
    for (int i = 0; i < fleet.size(); ++i)
      if (!excluded.contains(i)) fleet.up(i);
    fleet.sim.run_for(10s);
    for (int i = 0; i < fleet.size(); ++i) {
      if (excluded.contains(i)) continue;
      ASSERT_TRUE(fleet.tunnel(i)) << "client " << i << "\n" << event_log(fleet.client(i));
      fleet.start_traffic(i, 100ms, fleet.sim.now());
    }
    fleet.sim.run_for(2s);
    for (int i = 0; i < fleet.size(); ++i)
      if (!excluded.contains(i)) bystanders[i] = snapshot(i);
  }

  Bystander snapshot(int i) const {
    Bystander b;
    const auto sa = fleet.tunnel(i);
    if (!sa) return b;
    b.initiator_spi = sa->initiator_spi;
    b.responder_spi = sa->responder_spi;
    for (const auto& c : sa->children) b.children.emplace(c.inbound_spi, c.outbound_spi);
    b.vips = sa->local_virtual_ips;
    b.delivered = fleet.delivered(i);
    b.events = fleet.client(i).events().size();
    return b;
  }

  // Every client connected before the bad input still has the same SAs, its traffic still
  // passes, and it saw no event; the gateway is consistent.
  void expect_bystanders_untouched() {
    fleet.sim.run_for(3s);
    for (const auto& [i, before] : bystanders) {
      const Bystander now = snapshot(i);
      EXPECT_EQ(now.initiator_spi, before.initiator_spi) << "client " << i;
      EXPECT_EQ(now.responder_spi, before.responder_spi) << "client " << i;
      EXPECT_EQ(now.children, before.children) << "client " << i;
      EXPECT_EQ(now.vips, before.vips) << "client " << i;
      EXPECT_GT(now.delivered, before.delivered + 40) << "client " << i << ": traffic stopped";
      EXPECT_EQ(now.events, before.events) << "client " << i << "\n" << event_log(fleet.client(i));
    }
    const auto v = fleet.violations();
    EXPECT_TRUE(v.empty()) << describe(v);
    EXPECT_TRUE(fleet.gateway().binding_errors().empty());
  }

  // Replaces client i's connection (before it connects).
  void reconfigure(int i, const ike::ConnectionSettings& c) {
    auto& engine = fleet.client(i).engine();
    engine.remove_connection(kClientConnection, fleet.sim.now());
    ASSERT_TRUE(engine.add_connection(c, fleet.sim.now()));
  }

  std::vector<RecordedEvent> gateway_events(ike::EventType type) const {
    return fleet.gateway().events_of(type);
  }

  RoadWarriorFleet fleet;
  std::set<int> excluded;
  std::map<int, Bystander> bystanders;
};

TEST_F(BadRemoteAccessInput, WrongMsChapV2ResponseRefusesOnlyThatUser) {
  constexpr int kBad = 2;  // an EAP client
  connect_all_but({kBad});
  ike::ConnectionSettings c = fleet.client_connection(kBad);
  const std::string guess = "not the password";
  c.eap_password_hash = *crypto::mschapv2::nt_password_hash(
      ByteView(reinterpret_cast<const std::uint8_t*>(guess.data()), guess.size()));
  reconfigure(kBad, c);
  const std::uint64_t failures_before = fleet.gateway().engine().counters().authentication_failures;
  fleet.up(kBad);
  fleet.sim.run_for(5s);

  EXPECT_FALSE(fleet.tunnel(kBad));
  EXPECT_GE(fleet.client(kBad).count_events(ike::EventType::AuthenticationFailed), 1u);
  EXPECT_EQ(fleet.gateway().engine().counters().authentication_failures, failures_before + 1);
  const auto refused = gateway_events(ike::EventType::AuthenticationFailed);
  ASSERT_EQ(refused.size(), 1u) << event_log(fleet.gateway());
  EXPECT_TRUE(contains(refused.front().event.detail, "wrong password for EAP identity 'user2'"))
      << refused.front().event.detail;
  EXPECT_FALSE(contains(refused.front().event.detail, guess));  // never the secret
  for (const auto& l : fleet.gateway().engine().leases())
    EXPECT_FALSE(l.identity == "user2" && l.online) << l.address.to_string();
  // Nothing of it is left at the gateway.
  for (const auto& sa : fleet.gateway().ike_sas(kEapConnection, fleet.sim.now()))
    EXPECT_NE(sa.eap_identity, "user2");
  expect_bystanders_untouched();
}

// Bad-input catalog row 12: a whole EAP conversation replayed from the wire (IKE_SA_INIT and every
// IKE_AUTH round) after it succeeded. The replayed IKE_SA_INIT belongs to an established SA and the
// IKE_AUTH rounds are old message IDs: answered from the response cache at most, never more bytes
// out than in, no second conversation, no new SA, no lease moved.
TEST_F(BadRemoteAccessInput, ReplayedEapConversationChangesNothing) {
  constexpr int kVictim = 3;
  connect_all_but({kVictim});
  std::vector<Bytes> recorded;  // what the victim sends to the gateway while it connects
  const wire::IpAddress victim = RoadWarriorFleet::home_address(kVictim);
  std::uint64_t out_to_victim = 0;
  bool recording = true;
  fleet.sim.network().set_tap([&](TimePoint, ByteView packet) {
    auto udp = parse_udp_packet(packet);
    if (!udp) return;
    if (recording && udp->source.address == victim) recorded.emplace_back(packet.begin(), packet.end());
    if (!recording && udp->destination.address == victim) out_to_victim += udp->payload.size();
  });
  fleet.up(kVictim);
  fleet.sim.run_for(5s);
  const auto sa = fleet.tunnel(kVictim);
  ASSERT_TRUE(sa) << event_log(fleet.client(kVictim));
  ASSERT_GE(recorded.size(), 5u);  // IKE_SA_INIT and at least four IKE_AUTH rounds
  bystanders[kVictim] = snapshot(kVictim);
  fleet.start_traffic(kVictim, 100ms, fleet.sim.now());
  fleet.sim.run_for(2s);
  bystanders[kVictim] = snapshot(kVictim);

  const ike::EngineCounters before = fleet.gateway().engine().counters();
  recording = false;
  std::uint64_t replayed_bytes = 0;
  for (int round = 0; round < 3; ++round)
    for (const Bytes& packet : recorded) {
      replayed_bytes += parse_udp_packet(packet)->payload.size();
      fleet.sim.network().send(packet, fleet.sim.now());
      fleet.sim.run_for(50ms);
    }
  fleet.sim.run_for(2s);

  const ike::EngineCounters& after = fleet.gateway().engine().counters();
  EXPECT_EQ(after.eap_conversations, before.eap_conversations);
  EXPECT_EQ(after.ike_sas_established, before.ike_sas_established);
  EXPECT_EQ(after.authentication_failures, before.authentication_failures);
  EXPECT_LE(out_to_victim, replayed_bytes);  // no amplification
  EXPECT_EQ(fleet.gateway().count_events(ike::EventType::IkeSaEstablished),
            static_cast<std::size_t>(kClients));
  expect_bystanders_untouched();  // the victim included: its tunnel is the same
}

// A client asks for an address outside every pool, another for the address a third client holds:
// the first gets the pool's choice, the second another free address, the holder keeps its own.
TEST_F(BadRemoteAccessInput, AddressRequestsOutsideThePoolOrOfAnotherClientGetThePoolsChoice) {
  constexpr int kOutside = 6, kThief = 7, kHolder = 3;
  connect_all_but({kOutside, kThief});
  const wire::IpAddress held = fleet.tunnel(kHolder)->local_virtual_ips.front();
  ike::ConnectionSettings outside = fleet.client_connection(kOutside);
  outside.vips = {*wire::IpAddress::parse("2001:db8:eeee::5")};
  reconfigure(kOutside, outside);
  ike::ConnectionSettings thief = fleet.client_connection(kThief);
  thief.vips = {held};
  reconfigure(kThief, thief);
  fleet.up(kOutside);
  fleet.up(kThief);
  fleet.sim.run_for(5s);

  ike::PoolSettings v6 = fleet.pools().back();
  ike::AddressPool pool(v6);
  const auto outside_sa = fleet.tunnel(kOutside);
  ASSERT_TRUE(outside_sa) << event_log(fleet.client(kOutside));
  EXPECT_TRUE(pool.contains(outside_sa->local_virtual_ips.front()))
      << outside_sa->local_virtual_ips.front().to_string();
  const auto thief_sa = fleet.tunnel(kThief);
  ASSERT_TRUE(thief_sa) << event_log(fleet.client(kThief));
  EXPECT_NE(thief_sa->local_virtual_ips.front(), held);
  EXPECT_TRUE(pool.contains(thief_sa->local_virtual_ips.front()));
  expect_bystanders_untouched();  // the holder included
}

// Pool exhaustion: a five-address IPv6 pool and eight clients. The last three are answered
// INTERNAL_ADDRESS_FAILURE, which the gateway logs with the pool's name, counts (metrics reason
// "other", `cygnetctl why`), and the lease table shows every address online.
class PoolExhaustion : public BadRemoteAccessInput {
 protected:
  static FleetOptions tiny_pool() {
    FleetOptions o = small_fleet();
    o.v6_pool = "2001:db8:ffff::1-2001:db8:ffff::5";
    return o;
  }
  PoolExhaustion() : BadRemoteAccessInput(tiny_pool()) {}
};

TEST_F(PoolExhaustion, ClientsBeyondThePoolAreRefusedAndCountedTheOthersKeepTheirs) {
  connect_all_but({5, 6, 7});
  const std::uint64_t other_before =
      fleet.gateway().engine().counters().failures.get(ike::FailureReason::Other);
  for (int i : {5, 6, 7}) fleet.up(i);
  fleet.sim.run_for(5s);

  for (int i : {5, 6, 7}) {
    EXPECT_FALSE(fleet.tunnel(i)) << "client " << i;
    EXPECT_GE(fleet.client(i).count_events(ike::EventType::InternalAddressFailure), 1u)
        << event_log(fleet.client(i));
  }
  const auto refused = gateway_events(ike::EventType::InternalAddressFailure);
  ASSERT_EQ(refused.size(), 3u) << event_log(fleet.gateway());
  for (const auto& e : refused)
    EXPECT_TRUE(contains(e.event.detail, "pool v6 is exhausted")) << e.event.detail;
  EXPECT_EQ(fleet.gateway().engine().counters().failures.get(ike::FailureReason::Other), other_before + 3);
  bool explained = false;
  for (std::string_view conn : {kEapConnection, kCertConnection})
    if (auto report = fleet.gateway().engine().last_failure(conn))
      explained = explained || contains(report->summary, "exhausted");
  EXPECT_TRUE(explained) << "`cygnetctl why` would not say the pool is exhausted";
  std::size_t online_v6 = 0;
  for (const auto& l : fleet.gateway().engine().leases()) online_v6 += l.pool == "v6" && l.online ? 1 : 0;
  EXPECT_EQ(online_v6, 5u);
  expect_bystanders_untouched();
}

// UPDATE_SA_ADDRESSES from an address the gateway cannot reach (the path back is black-holed):
// the gateway moves the IKE SA but sends no ESP there before the COOKIE2 check comes back
// (RFC 4555 §5.2), gives that check up in the end, and the lease is released; the others carry on.
TEST_F(BadRemoteAccessInput, UpdateSaAddressesWithoutReturnRoutabilitySendsNoEspThere) {
  constexpr int kMover = 4;
  connect_all_but({});
  const wire::IpAddress away = RoadWarriorFleet::away_address(kMover);
  LinkConditions black_hole;
  black_hole.loss = 1.0;
  fleet.sim.network().set_link(RoadWarriorFleet::gateway_address(), away, black_hole);
  std::uint64_t esp_to_away = 0, ike_to_away = 0;
  fleet.sim.network().set_tap([&](TimePoint, ByteView packet) {
    auto info = wire::parse_ip_packet(packet);
    if (!info || info->destination != away) return;
    auto udp = parse_udp_packet(packet);
    const bool ike = udp && (udp->destination.port == 500 ||
                             (udp->payload.size() >= 4 && udp->payload[0] == 0 && udp->payload[1] == 0 &&
                              udp->payload[2] == 0 && udp->payload[3] == 0));
    (ike ? ike_to_away : esp_to_away) += 1;
  });
  bystanders.erase(kMover);
  const std::uint64_t retransmissions_before = fleet.gateway().engine().counters().retransmissions;
  fleet.roam(kMover);
  fleet.sim.run_for(90s);

  EXPECT_EQ(esp_to_away, 0u) << "ESP went to an address that never proved it is reachable";
  EXPECT_GT(ike_to_away, 0u);  // the update's answer and the COOKIE2 checks
  EXPECT_GT(fleet.gateway().engine().counters().retransmissions, retransmissions_before);
  // Both ends give up on the unreachable path: nothing of the mover is left at the gateway.
  EXPECT_FALSE(fleet.tunnel(kMover));
  for (const auto& l : fleet.gateway().engine().leases())
    if (l.identity == fleet.lease_identity(kMover)) {
      EXPECT_FALSE(l.online) << l.address.to_string();
    }
  // The others' traffic kept flowing the whole time (snapshots from before the move).
  expect_bystanders_untouched();
}

}  // namespace
}  // namespace cygnet::sim
