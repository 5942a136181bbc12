// Reauthentication and a second login under one identity (issue 14): make-before-break
// reauthentication (reauth_time) under continuous traffic — site to site, over a lossy link, and
// for an EAP road warrior with a virtual IP, which keeps its address — and the gateway's `unique`
// policies with two clients of the same identity, INITIAL_CONTACT included.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "crypto/mschapv2.hpp"
#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

void expect_no_trouble(const Node& node) {
  SCOPED_TRACE(node.name());
  for (ike::EventType bad :
       {ike::EventType::PeerDead, ike::EventType::RetransmitGaveUp, ike::EventType::Error,
        ike::EventType::MalformedMessage, ike::EventType::AuthenticationFailed,
        ike::EventType::NoProposalChosen, ike::EventType::TsUnacceptable,
        ike::EventType::InternalAddressFailure, ike::EventType::DuplicateIkeSa}) {
    EXPECT_EQ(node.count_events(bad), 0u) << ike::event_type_name(bad) << "\n" << event_log(node);
  }
  EXPECT_TRUE(node.binding_errors().empty()) << event_log(node);
}

// --- site to site ------------------------------------------------------------------------------

struct ReauthCase {
  std::uint64_t seed;
  double loss;        // on every link, both directions
  bool jitter;        // 20 ms + up to 30 ms: packets overtake each other
  bool two_children;  // a second child, recreated with CREATE_CHILD_SA on the new IKE SA
};

class SiteReauthentication : public ::testing::TestWithParam<ReauthCase> {};

TEST_P(SiteReauthentication, TrafficNeverStops) {
  const ReauthCase p = GetParam();
  SCOPED_TRACE("seed " + std::to_string(p.seed));
  Simulation sim(p.seed);
  if (p.loss > 0 || p.jitter)
    sim.network().set_default_link(LinkConditions{p.loss, 0.0, p.jitter ? 20ms : 1ms, p.jitter ? 30ms : 0ms});
  ike::EngineOptions options = default_engine_options();
  options.retransmit_tries = 8;
  ConnectionOptions o;
  o.child_lifetime = 24min;  // CHILD rekeys between the reauthentications
  o.ike_lifetime = 3h;       // IKE rekeys never come first: reauthentication does (reauth_time wins)
  o.start_action = ike::StartAction::Start;
  ConnectionOptions r = o;
  r.start_action = ike::StartAction::None;
  ike::ConnectionSettings a = psk_connection(site_a(), site_b(), o);
  ike::ConnectionSettings b = psk_connection(site_b(), site_a(), r);
  a.reauth_time = Seconds{30 * 60};  // only A reauthenticates; B keeps the default (off)
  if (p.two_children) {
    // Its own selectors (IPv6), so that each end picks the same child for them.
    for (ike::ConnectionSettings* c : {&a, &b}) {
      ike::ChildSettings second = c->children.front();
      second.name = "voice";
      const bool is_a = c == &a;
      second.local_ts = {*wire::IpPrefix::parse(is_a ? "2001:db8:a::/48" : "2001:db8:b::/48")};
      second.remote_ts = {*wire::IpPrefix::parse(is_a ? "2001:db8:b::/48" : "2001:db8:a::/48")};
      c->children.push_back(second);
    }
  }
  Gateways g = add_gateways(sim, a, b, options);
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 5min)) << event_log(g);
  if (p.two_children) {
    ASSERT_TRUE(sim.run_for([&] { return g.a->child_sas(kConnection, "voice", sim.now()) == 1; }, 5min));
  }
  const auto first = g.a->ike_sas(kConnection, sim.now());
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(first.front().reauth_in) << "status shows when the reauthentication is due";
  EXPECT_LE(*first.front().reauth_in, Seconds{30 * 60});
  EXPECT_GE(*first.front().reauth_in, Seconds{27 * 60 - 1});

  FlowPair flows = add_traffic(sim, g, 100ms, sim.now());
  sim.run_for(4h);
  sim.traffic().stop_all();
  sim.run_for(30s);

  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.no_sa(), 0u);
    EXPECT_EQ(c.outbound_drops.total(), 0u);
    if (p.loss == 0) {
      EXPECT_EQ(c.delivered, c.sent) << event_log(g);  // not one packet lost
      EXPECT_EQ(c.duplicates, 0u);
    } else {
      EXPECT_GT(c.delivered, c.sent * (100 - static_cast<int>(p.loss * 100) - 5) / 100);
    }
  }
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->counters().inbound_drops[ipsec::DropReason::UnknownSpi], 0u) << event_log(*node);
    EXPECT_EQ(node->counters().inbound_drops[ipsec::DropReason::Expired], 0u);
    EXPECT_EQ(node->counters().hard_limits, 0u);
    // One IKE SA with its children at the end, and nothing else in the SAD.
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 1u) << event_log(*node);
    EXPECT_EQ(node->child_sas(kConnection, kChild, sim.now()), 1u);
    EXPECT_EQ(node->data_plane().sad().size(), p.two_children ? 4u : 2u);
    expect_no_trouble(*node);
  }
  // 4 h / 30 min (minus up to 10 % jitter, plus the handshake): 8 reauthentications, each a new
  // IKE SA (IKE_SA_INIT + IKE_AUTH) on both sides, and no IKE rekey.
  const auto reauths = g.a->count_events(ike::EventType::IkeSaReauthenticated);
  EXPECT_GE(reauths, 8u) << event_log(*g.a);
  EXPECT_LE(reauths, 9u);
  EXPECT_EQ(g.a->engine().counters().ike_sas_reauthenticated, reauths);
  EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaReauthenticated), 0u);
  EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaEstablished), reauths + 1);
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaRekeyed), 0u);
}

INSTANTIATE_TEST_SUITE_P(Cases, SiteReauthentication,
                         ::testing::Values(ReauthCase{41, 0.0, false, false},
                                           ReauthCase{42, 0.0, true, false}, ReauthCase{43, 0.0, false, true},
                                           ReauthCase{44, 0.1, true, false}, ReauthCase{45, 0.1, true, true}),
                         [](const ::testing::TestParamInfo<ReauthCase>& case_info) {
                           const ReauthCase& c = case_info.param;
                           return "seed" + std::to_string(c.seed) + (c.loss > 0 ? "_lossy" : "") +
                                  (c.jitter ? "_jittery" : "") + (c.two_children ? "_two_children" : "");
                         });

// reauth_time shorter than the IKE lifetime's rekey point: only reauthentications. Longer: the
// IKE SA is rekeyed in between, and the reauthentication deadline survives the rekeys.
TEST(SiteReauthenticationTiming, RekeysInBetweenKeepTheDeadline) {
  Simulation sim(46);
  ConnectionOptions o;
  o.child_lifetime = 24h;
  o.ike_lifetime = 1h;  // IKE rekeys at 48–54 min
  o.start_action = ike::StartAction::Start;
  ConnectionOptions r = o;
  r.start_action = ike::StartAction::None;
  ike::ConnectionSettings a = psk_connection(site_a(), site_b(), o);
  a.reauth_time = Seconds{150 * 60};
  Gateways g = add_gateways(sim, a, psk_connection(site_b(), site_a(), r));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  FlowPair flows = add_traffic(sim, g, 200ms, sim.now());
  sim.run_for(150min + 30s);
  sim.traffic().stop_all();
  sim.run_for(10s);
  EXPECT_GE(g.a->count_events(ike::EventType::IkeSaRekeyed), 2u) << event_log(g);
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaReauthenticated), 1u) << event_log(g);
  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.delivered, c.sent);
    EXPECT_EQ(c.no_sa(), 0u);
  }
  expect_no_trouble(*g.a);
  expect_no_trouble(*g.b);
}

// --- road warriors: EAP with a virtual IP, and `unique` ----------------------------------------

wire::IpAddress gateway_address() {
  return *wire::IpAddress::parse("2001:db8::1");
}
wire::IpAddress client_address(int i) {
  return *wire::IpAddress::parse("2001:db8::3:" + std::to_string(1000 + i));
}
const wire::IpAddress kInside = *wire::IpAddress::parse("203.0.113.10");  // behind the gateway

crypto::SecureBytes nt_hash(const std::string& text) {
  return *crypto::mschapv2::nt_password_hash(
      ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

ike::ConnectionSettings gateway_connection(ike::UniquePolicy unique, bool eap) {
  ike::ConnectionSettings c = psk_connection(site_b(), site_a(), ConnectionOptions{});
  c.name = "rw";
  c.local_addrs = {gateway_address()};
  c.remote_addrs.clear();
  c.local_id = *ike::Identity::parse("gw.example.net");
  c.remote_id = *ike::Identity::parse("%any");
  if (eap) {
    c.local_auth = ike::AuthMethod::Psk;
    c.remote_auth = ike::AuthMethod::EapMsChapV2;
  }
  c.children.front().local_ts = {*wire::IpPrefix::parse("203.0.113.0/24")};
  c.children.front().remote_ts.clear();
  c.pools = {"rw"};
  c.dpd_delay = Seconds{0};
  c.unique = unique;
  return c;
}

// Client `i`; every client has the same identity (one user on two devices).
ike::ConnectionSettings client_connection(int i, bool eap, Seconds reauth_time) {
  ike::ConnectionSettings c = psk_connection(site_a(), site_b(), ConnectionOptions{});
  c.name = "rw";
  c.local_addrs = {client_address(i)};
  c.remote_addrs = {gateway_address()};
  c.local_id = *ike::Identity::parse("alice@example.com");
  c.remote_id = *ike::Identity::parse("gw.example.net");
  if (eap) {
    c.local_auth = ike::AuthMethod::EapMsChapV2;
    c.remote_auth = ike::AuthMethod::Psk;
    c.eap_identity = "alice";
    c.eap_password_hash = nt_hash("alice's password");
  }
  c.children.front().local_ts.clear();
  c.children.front().remote_ts = {*wire::IpPrefix::parse("203.0.113.0/24")};
  c.vips = {*wire::IpAddress::parse("0.0.0.0")};
  c.dpd_delay = Seconds{0};
  c.reauth_time = reauth_time;
  return c;
}

struct SameUser {
  Simulation sim;
  Node* gateway = nullptr;
  Node* laptop = nullptr;
  Node* phone = nullptr;

  SameUser(std::uint64_t seed, ike::UniquePolicy unique, bool eap = false, Seconds reauth_time = Seconds{0})
      : sim(seed) {
    NodeConfig g{"GW", gateway_address(), {gateway_connection(unique, eap)}, default_engine_options(), 1};
    gateway = &sim.add_node(std::move(g));
    ike::PoolSettings pool;
    pool.name = "rw";
    EXPECT_FALSE(ike::parse_pool_range("198.51.100.0/24", pool));
    gateway->engine().set_pools({pool});
    if (eap) {
      ike::EapUsers users;
      users.emplace("alice", nt_hash("alice's password"));
      gateway->engine().set_eap_users(std::move(users));
    }
    NodeConfig l{
        "laptop", client_address(1), {client_connection(1, eap, reauth_time)}, default_engine_options(), 2};
    NodeConfig p{
        "phone", client_address(2), {client_connection(2, eap, reauth_time)}, default_engine_options(), 3};
    laptop = &sim.add_node(std::move(l));
    phone = &sim.add_node(std::move(p));
  }
  void up(Node& n) {
    n.engine().up("rw", sim.now());
    n.drain(sim.now());
  }
  std::size_t established(const Node& n) { return n.established_ike_sas("rw", sim.now()); }
  std::optional<wire::IpAddress> vip(const Node& n) {
    for (const auto& sa : n.ike_sas("rw", sim.now()))
      if (sa.state == ike::IkeSaState::Established && sa.local_virtual_ips.size() == 1)
        return sa.local_virtual_ips.front();
    return std::nullopt;
  }
  // Both up in turn: the laptop first, the phone 10 s later.
  void both_up() {
    up(*laptop);
    ASSERT_TRUE(sim.run_for([&] { return established(*laptop) == 1 && vip(*laptop); }, 10s))
        << event_log(*laptop) << event_log(*gateway);
    sim.run_for(10s);
    up(*phone);
    sim.run_for(10s);
  }
};

TEST(Unique, ReplaceDeletesTheOlderIkeSa) {
  SameUser u(51, ike::UniquePolicy::Replace);
  u.both_up();
  EXPECT_EQ(u.established(*u.phone), 1u) << event_log(*u.phone);
  EXPECT_EQ(u.established(*u.laptop), 0u) << "the laptop's IKE SA was deleted\n" << event_log(*u.laptop);
  EXPECT_GE(u.laptop->count_events(ike::EventType::IkeSaDeleted), 1u);
  ASSERT_EQ(u.gateway->ike_sas("rw", u.sim.now()).size(), 1u) << event_log(*u.gateway);
  EXPECT_EQ(u.gateway->ike_sas("rw", u.sim.now()).front().remote.address, client_address(2));
  EXPECT_EQ(u.gateway->engine().counters().unique_replaced, 1u);
  EXPECT_EQ(u.gateway->count_events(ike::EventType::DuplicateIkeSa), 1u);
  // The identity's lease went to the phone, once.
  ASSERT_TRUE(u.vip(*u.phone));
  const auto leases = u.gateway->engine().leases();
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_TRUE(leases.front().online);
  EXPECT_EQ(leases.front().address, *u.vip(*u.phone));
  EXPECT_TRUE(u.gateway->binding_errors().empty());
  EXPECT_EQ(u.gateway->data_plane().sad().size(), 2u);
}

TEST(Unique, KeepRefusesTheNewcomer) {
  SameUser u(52, ike::UniquePolicy::Keep);
  u.both_up();
  EXPECT_EQ(u.established(*u.laptop), 1u) << event_log(*u.laptop);
  EXPECT_EQ(u.established(*u.phone), 0u) << event_log(*u.phone);
  EXPECT_EQ(u.phone->count_events(ike::EventType::AuthenticationFailed), 1u) << event_log(*u.phone);
  ASSERT_EQ(u.gateway->ike_sas("rw", u.sim.now()).size(), 1u) << event_log(*u.gateway);
  EXPECT_EQ(u.gateway->ike_sas("rw", u.sim.now()).front().remote.address, client_address(1));
  EXPECT_EQ(u.gateway->engine().counters().unique_refused, 1u);
  EXPECT_EQ(u.gateway->engine().leases().size(), 1u);
  EXPECT_EQ(u.gateway->data_plane().sad().size(), 2u);
  // Once the laptop is gone, the phone gets in.
  u.laptop->engine().down("rw", u.sim.now());
  u.laptop->drain(u.sim.now());
  u.sim.run_for(5s);
  u.up(*u.phone);
  EXPECT_TRUE(u.sim.run_for([&] { return u.established(*u.phone) == 1; }, 10s)) << event_log(*u.gateway);
}

TEST(Unique, NeverKeepsBothAndIgnoresInitialContact) {
  SameUser u(53, ike::UniquePolicy::Never);
  u.both_up();
  EXPECT_EQ(u.established(*u.laptop), 1u);
  EXPECT_EQ(u.established(*u.phone), 1u) << event_log(*u.phone);
  EXPECT_EQ(u.gateway->established_ike_sas("rw", u.sim.now()), 2u);
  EXPECT_EQ(u.gateway->count_events(ike::EventType::InitialContact), 0u);
  EXPECT_EQ(u.gateway->engine().counters().initial_contact_removed, 0u);
  // One identity, one lease, both SAs hold it (strongSwan does the same).
  EXPECT_EQ(u.vip(*u.laptop), u.vip(*u.phone));
}

TEST(Unique, NoLetsInitialContactRemoveTheOlderIkeSa) {
  SameUser u(54, ike::UniquePolicy::No);
  u.both_up();
  EXPECT_EQ(u.established(*u.phone), 1u) << event_log(*u.phone);
  // The phone's first IKE SA carries INITIAL_CONTACT: the gateway takes it that the peer
  // restarted and forgets the laptop's SA, without a Delete (the laptop is not told).
  ASSERT_EQ(u.gateway->ike_sas("rw", u.sim.now()).size(), 1u) << event_log(*u.gateway);
  EXPECT_EQ(u.gateway->ike_sas("rw", u.sim.now()).front().remote.address, client_address(2));
  EXPECT_EQ(u.gateway->count_events(ike::EventType::InitialContact), 1u);
  EXPECT_EQ(u.gateway->engine().counters().initial_contact_removed, 1u);
  EXPECT_EQ(u.established(*u.laptop), 1u);
  EXPECT_EQ(u.gateway->data_plane().sad().size(), 2u);
}

// A reauthenticating client sends no INITIAL_CONTACT and comes from the same address: every
// policy lets it in, the old IKE SA goes when the client deletes it (or at once with replace),
// the virtual IP stays and the traffic continues, EAP included.
struct ReauthRoadWarriorCase {
  std::uint64_t seed;
  ike::UniquePolicy unique;
  bool eap;
  double loss;
};

class RoadWarriorReauthentication : public ::testing::TestWithParam<ReauthRoadWarriorCase> {};

TEST_P(RoadWarriorReauthentication, KeepsTheAddressAndTheTraffic) {
  const ReauthRoadWarriorCase p = GetParam();
  SameUser u(p.seed, p.unique, p.eap, Seconds{20 * 60});
  if (p.loss > 0) u.sim.network().set_default_link(LinkConditions{p.loss, 0.0, 10ms, 0ms});
  u.up(*u.laptop);
  ASSERT_TRUE(u.sim.run_for([&] { return u.established(*u.laptop) == 1 && u.vip(*u.laptop); }, 60s))
      << event_log(*u.laptop) << event_log(*u.gateway);
  const wire::IpAddress vip = *u.vip(*u.laptop);
  Flow up_flow{u.laptop, u.gateway, vip, kInside, 40000, 9, 100ms, 16};
  Flow down_flow{u.gateway, u.laptop, kInside, vip, 40001, 9, 100ms, 16};
  const std::size_t fu = u.sim.traffic().add_flow(up_flow, u.sim.now());
  const std::size_t fd = u.sim.traffic().add_flow(down_flow, u.sim.now());
  u.sim.run_for(65min);
  u.sim.traffic().stop_all();
  u.sim.run_for(30s);

  const auto reauths = u.laptop->count_events(ike::EventType::IkeSaReauthenticated);
  EXPECT_GE(reauths, 3u) << event_log(*u.laptop);
  EXPECT_EQ(u.vip(*u.laptop), vip) << "the client kept its virtual IP";
  for (std::size_t f : {fu, fd}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = u.sim.traffic().counters(f);
    EXPECT_EQ(c.no_sa(), 0u);
    EXPECT_EQ(c.outbound_drops.total(), 0u);
    if (p.loss == 0) {
      EXPECT_EQ(c.delivered, c.sent) << event_log(*u.laptop) << event_log(*u.gateway);
    } else {
      EXPECT_GT(c.delivered, c.sent * 80 / 100);
    }
  }
  for (const Node* n : {u.laptop, u.gateway}) {
    SCOPED_TRACE(n->name());
    if (p.loss == 0 || p.unique != ike::UniquePolicy::Replace) {
      EXPECT_EQ(n->counters().inbound_drops[ipsec::DropReason::UnknownSpi], 0u) << event_log(*n);
    }
    EXPECT_EQ(n->ike_sas("rw", u.sim.now()).size(), 1u) << event_log(*n);
    EXPECT_EQ(n->data_plane().sad().size(), 2u);
    EXPECT_TRUE(n->binding_errors().empty());
    EXPECT_EQ(n->count_events(ike::EventType::AuthenticationFailed), 0u);
    EXPECT_EQ(n->count_events(ike::EventType::InternalAddressFailure), 0u);
  }
  // The lease: one, online, the client's address throughout.
  const auto leases = u.gateway->engine().leases();
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_TRUE(leases.front().online);
  EXPECT_EQ(leases.front().address, vip);
  if (p.eap) {
    for (const auto& sa : u.gateway->ike_sas("rw", u.sim.now())) EXPECT_EQ(sa.eap_identity, "alice");
  }
  EXPECT_EQ(u.gateway->engine().counters().unique_refused, 0u);
}

INSTANTIATE_TEST_SUITE_P(Cases, RoadWarriorReauthentication,
                         ::testing::Values(ReauthRoadWarriorCase{61, ike::UniquePolicy::No, false, 0.0},
                                           ReauthRoadWarriorCase{62, ike::UniquePolicy::No, true, 0.0},
                                           ReauthRoadWarriorCase{63, ike::UniquePolicy::Replace, true, 0.0},
                                           ReauthRoadWarriorCase{64, ike::UniquePolicy::Keep, false, 0.0},
                                           ReauthRoadWarriorCase{65, ike::UniquePolicy::Never, true, 0.0},
                                           ReauthRoadWarriorCase{66, ike::UniquePolicy::No, true, 0.1}),
                         [](const ::testing::TestParamInfo<ReauthRoadWarriorCase>& case_info) {
                           const ReauthRoadWarriorCase& c = case_info.param;
                           return std::string("seed") + std::to_string(c.seed) + "_" +
                                  ike::unique_policy_name(c.unique) + (c.eap ? "_eap" : "_psk") +
                                  (c.loss > 0 ? "_lossy" : "");
                         });

}  // namespace
}  // namespace cygnet::sim
